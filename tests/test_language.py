"""The buyer's language: read from mails, ranked by source, used to pick the template."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from corpus_data import CORPUS
from sqlalchemy import select

from followupd.core.contacts import learn_language
from followupd.demo.world import World
from followupd.mail.language import detect_language
from followupd.mail.parse import parse_message
from followupd.model import Contact, Draft, Thread
from followupd.trade import extract_context

GREETINGS = {
    "en": "Dear Anna,\nthank you for the PI. We will check it and let you know.\nBest regards",
    "de": "Sehr geehrte Frau Chen,\nvielen Dank für Ihr Angebot. Wir prüfen es und melden "
    "uns.\nMit freundlichen Grüßen",
    "fr": "Bonjour Anna,\nmerci pour votre offre, nous revenons vers vous.\nCordialement",
    "es": "Estimada Anna,\ngracias por la cotización. La revisaremos y le responderemos.\nSaludos",
    "pt": "Prezada Anna,\nobrigado pela cotação. Vamos analisar e retornamos em breve.\n"
    "Atenciosamente",
    "it": "Gentile Anna,\ngrazie per l'offerta, la valutiamo con il team.\nCordiali saluti",
    "nl": "Beste Anna,\nbedankt voor de offerte. Wij komen er graag op terug.\n"
    "Met vriendelijke groeten",
    "ru": "Здравствуйте, Анна!\nСпасибо за предложение, мы рассмотрим его.\nС уважением",
    "zh": "陈小姐您好，\n报价已收到，谢谢。我们内部讨论后回复您。",
    "ja": "チェン様\nお見積りありがとうございます。社内で検討いたします。",
    "ar": "السيدة آنا، شكرا على عرض السعر، سنراجعه ونعود إليك.",
}


@pytest.mark.parametrize(("language", "text"), sorted(GREETINGS.items()))
def test_short_business_mails(language: str, text: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OK",
        "6204-2RS 20,000 pcs USD 12,480.00 FOB Ningbo",
        "+1",
        # Names, codes and a signature carry no language.
        "Hans Becker\nPurchasing Manager\nBuyer Corp GmbH\nTel. +49 40 1234567",
    ],
)
def test_unclear_text_has_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_a_chinese_signature_does_not_make_an_english_mail_chinese() -> None:
    text = GREETINGS["en"] + "\n陈安娜 Anna Chen\nNingbo Seller Bearings Co., Ltd."
    assert detect_language(text) == "en"


# Real mails from many clients: the clear ones get their language, the rest none, and none
# gets a wrong one.
CORPUS_LANGUAGES = {
    "discourse/dutch.eml": "nl",
    "discourse/chinese_reply.eml": "zh",
    "discourse/big5.eml": "zh",
    "discourse/encoded_display_name.eml": "ru",
    "discourse/text_reply.eml": "en",
    "discourse/gmail_web.eml": "en",
    "set-of-emails/rfc3834-01.eml": "en",
    "bounceparser/autoreply.eml": "en",
    "discourse/hebrew_reply.eml": None,  # not a template language: the country decides
    "set-of-emails/rfc3834-05.eml": None,
}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not present")
@pytest.mark.parametrize(("path", "language"), sorted(CORPUS_LANGUAGES.items()))
def test_corpus_mails(path: str, language: str | None) -> None:
    from followupd.approval.commands import strip_quoted

    msg = parse_message((CORPUS / path).read_bytes())
    assert detect_language(strip_quoted(msg.text)) == language


def _contact() -> Contact:
    return Contact(email="hans@buyer.test", domain="buyer.test", created_at=datetime.now(UTC))


def test_sources_rank_rep_over_buyer_over_thread() -> None:
    contact = _contact()
    assert learn_language(contact, GREETINGS["en"], "thread") == "en"
    assert learn_language(contact, GREETINGS["de"], "buyer") == "de"
    # The rep's next PI mail in English does not override what the buyer writes.
    assert learn_language(contact, GREETINGS["en"], "thread") is None
    assert (contact.language, contact.language_source) == ("de", "buyer")
    # A later buyer mail in another language does: people switch to what works.
    assert learn_language(contact, GREETINGS["fr"], "buyer") == "fr"
    contact.language, contact.language_source = "es", "rep"
    assert learn_language(contact, GREETINGS["fr"], "buyer") is None
    assert contact.language == "es"


def test_only_the_new_text_of_a_reply_counts() -> None:
    contact = _contact()
    reply = (
        "OK, thanks\n\nAm 24.11.2026 um 10:05 schrieb Anna Chen:\n> Sehr geehrter Herr "
        "Becker, anbei unser Angebot für die Lager. Mit freundlichen Grüßen"
    )
    assert learn_language(contact, reply, "buyer") is None
    assert contact.language is None


def test_tier_from_the_cadence() -> None:
    day = datetime(2026, 11, 24, tzinfo=UTC).date()
    assert extract_context("Meeting", "Dear Hans,", (), sent=day, cadence="expo-key").tier == "key"
    assert extract_context("Hello", "Dear Hans,", (), sent=day, cadence="expo-lead").tier == "lead"
    assert extract_context("PI", "Dear Hans,", (), sent=day, cadence="pi").tier is None


ES_PI = """Estimado Sr. Becker:

Adjunto le enviamos nuestra factura proforma PI-2026-118 para los rodamientos.
Quedamos a su disposición para cualquier consulta.

Saludos cordiales,
Anna Chen
"""


@pytest.mark.pymap
async def test_follow_ups_speak_the_language_of_the_thread(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await w.rep_sends_pi(subject="PI-2026-118 rodamientos", body=ES_PI)
        await w.advance_until(lambda: len(w.reviews()) == 1)
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            contact = await session.scalar(select(Contact))
            draft = await session.scalar(select(Draft))
        assert contact is not None and draft is not None
        assert (contact.language, contact.language_source) == ("es", "thread")
        # The buyer is in Germany (.test says nothing); the thread is Spanish, so is the draft.
        assert draft.text.lstrip().startswith("Hola, Hans")


@pytest.mark.pymap
async def test_the_buyers_own_language_carries_to_the_next_thread(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI-2026-118 bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "ok")
        await w.advance_until(lambda: len(w.mails_to("hans@buyer-corp.test")) == 2)
        await w.buyer_replies(w.mails_to("hans@buyer-corp.test")[-1], GREETINGS["de"])
        # The next deal with Hans starts with an English PI mail; he wrote German.
        await w.rep_sends_pi(subject="PI-2026-131 taper roller bearings")
        await w.advance_until(lambda: len(w.reviews()) == 2)
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            contact = await session.scalar(select(Contact))
            second = await session.scalar(select(Thread).order_by(Thread.id.desc()))
            draft = await session.scalar(select(Draft).order_by(Draft.id.desc()))
        assert contact is not None and second is not None and draft is not None
        assert (contact.language, contact.language_source) == ("de", "buyer")
        assert "Grüßen" in draft.text
