"""Out-of-office and other autoresponders recognised by their words, in many languages.

Exchange and Outlook.com send these without any RFC 3834 header, so the messages built
here carry none: only the subject and body phrases can tell them from a buyer's reply.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from followupd.classify.autoreply import detect_auto_reply
from followupd.classify.base import ClassifyContext
from followupd.classify.ooo_phrases import BODY_PHRASES, SUBJECT_PHRASES
from followupd.classify.pipeline import classify
from followupd.errors import MailParseError
from followupd.mail.parse import ParsedMessage, parse_message

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")

CTX = ClassifyContext(
    rep_addresses=frozenset({"zhang@factory.example"}),
    thread_ids={"pi.118@factory.example": 7},
)


def buyer_mail(subject: str, body: str, extra: str = "") -> ParsedMessage:
    """A mail from the buyer on the tracked thread, sent on Friday 20 November 2026."""
    headers = (
        "From: Anna <anna@buyer.example>\nTo: zhang@factory.example\n"
        f"Subject: {subject}\nDate: Fri, 20 Nov 2026 10:00:00 +0100\n"
        "Message-ID: <x1@buyer.example>\nIn-Reply-To: <pi.118@factory.example>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n" + extra
    )
    raw = headers.strip() + "\n\n" + body
    return parse_message(raw.replace("\n", "\r\n").encode())


# (language, subject, body, return date): what each language's notice typically says.
NOTICES = [
    (
        "en",
        "Automatic reply: PI 2026-118",
        "Thank you for your email. I am out of the office until Monday 7 December 2026 "
        "with limited access to email.\nFor urgent matters please contact sales@buyer.example.",
        date(2026, 12, 7),
    ),
    (
        "de",
        "Automatische Antwort: PI 2026-118",
        "Vielen Dank für Ihre Nachricht.\nIch bin bis zum 10.12.2026 nicht im Büro. "
        "In dringenden Fällen wenden Sie sich bitte an einkauf@buyer.example.",
        date(2026, 12, 10),
    ),
    (
        "fr",
        "Réponse automatique : PI 2026-118",
        "Bonjour,\nJe suis absente jusqu'au 3 décembre inclus. Pour toute urgence, "
        "merci de contacter achats@buyer.example.",
        date(2026, 12, 3),
    ),
    (
        "es",
        "Respuesta automática: PI 2026-118",
        "Gracias por su mensaje. Estaré fuera de la oficina hasta el 15 de enero, "
        "con acceso limitado al correo.",
        date(2027, 1, 15),
    ),
    (
        "pt",
        "Resposta automática: PI 2026-118",
        "Obrigado pelo seu e-mail. Estou de férias até 10 de dezembro.",
        date(2026, 12, 10),
    ),
    (
        "it",
        "Risposta automatica: PI 2026-118",
        "Grazie per la sua email. Sono fuori ufficio fino al 9 dicembre.",
        date(2026, 12, 9),
    ),
    (
        "nl",
        "Automatisch antwoord: PI 2026-118",
        "Dank voor uw bericht. Ik ben tot en met 11 december afwezig.",
        date(2026, 12, 11),
    ),
    (
        "tr",
        "Otomatik yanıt: PI 2026-118",
        "Mesajınız için teşekkürler. 10 Aralık tarihine kadar ofis dışındayım.",
        date(2026, 12, 10),
    ),
    (
        "ru",
        "Автоматический ответ: PI 2026-118",
        "Спасибо за письмо. Я в отпуске до 14 декабря, отвечу после возвращения.",
        date(2026, 12, 14),
    ),
    (
        "zh",
        "自动回复: PI 2026-118",
        "您好，我正在休假，将于12月10日返回。急事请联系 sales@buyer.example。",
        date(2026, 12, 10),
    ),
    (
        "ja",
        "自動応答: PI 2026-118",
        "お世話になっております。12月10日まで不在にしております。",
        date(2026, 12, 10),
    ),
    (
        "ar",
        "رد تلقائي: PI 2026-118",
        "شكرا لرسالتك. أنا خارج المكتب حتى 10 ديسمبر.",
        date(2026, 12, 10),
    ),
]


@pytest.mark.parametrize(("lang", "subject", "body", "back"), NOTICES, ids=[n[0] for n in NOTICES])
def test_headerless_notice_is_an_auto_reply(lang: str, subject: str, body: str, back: date) -> None:
    verdict = classify(buyer_mail(subject, body), CTX)
    assert verdict.label == "auto_reply"
    assert verdict.evidence["subject_phrase"].startswith(f"{lang}/")
    assert verdict.return_date == back
    assert verdict.evidence["return_date"] == back.isoformat()


@pytest.mark.parametrize(
    ("lang", "subject", "body", "back"), NOTICES, ids=[f"body-{n[0]}" for n in NOTICES]
)
def test_notice_under_a_reply_subject_is_caught_by_its_body(
    lang: str, subject: str, body: str, back: date
) -> None:
    # Gmail-style vacation replies keep "Re: <subject>"; only the words remain.
    verdict = classify(buyer_mail("Re: PI 2026-118", body), CTX)
    assert verdict.label == "auto_reply"
    assert verdict.evidence["body_phrase"].startswith(f"{lang}/")
    assert verdict.return_date == back


SUBJECT_EXAMPLES = {
    "automatic_reply": "Automatic reply: PI",
    "autoreply": "AutoReply: PI",
    "auto_colon": "AUTO: Anna Smith is out of the office",
    "out_of_office": "Out of Office: PI",
    "ooo": "OOO: PI",
    "away": "On vacation",
    "ack": "Thank you for your message",
    "suffix": "Re: PI (Automatic Response)",
    "automatische_antwort": "Automatische Antwort: PI",
    "abwesenheit": "Abwesenheitsnotiz: PI",
    "abwesend": "Abwesend: PI",
    "reponse_automatique": "Réponse automatique : PI",
    "absence": "Absence du bureau",
    "respuesta_automatica": "Respuesta automática: PI",
    "fuera_oficina": "Fuera de la oficina: PI",
    "resposta_automatica": "Resposta automática: PI",
    "ausencia": "Ausência temporária",
    "risposta_automatica": "Risposta automatica: PI",
    "fuori_sede": "Fuori sede",
    "automatisch_antwoord": "Automatisch antwoord: PI",
    "afwezig": "Afwezig: PI",
    "otomatik_yanit": "Otomatik yanıt: PI",
    "ofis_disinda": "Ofis dışında",
    "avtootvet": "Автоответ: PI",
    "otsutstvie": "Нет на месте",
    "zidong_huifu": "自动回复：PI",
    "xiujia": "【休假中】PI",
    "jidou_outou": "自動返信: PI",
    "fuzai": "不在通知",
    "rad_tilqai": "الرد التلقائي: PI",
    "kharij_almaktab": "خارج المكتب",
    "automatyczna": "[Automatyczna odpowiedź] PI",
    "autosvar": "Autosvar: PI",
}


def test_every_subject_phrase_has_an_example() -> None:
    assert {name for name, _, _ in SUBJECT_PHRASES} == set(SUBJECT_EXAMPLES)


@pytest.mark.parametrize(("name", "subject"), SUBJECT_EXAMPLES.items())
def test_each_subject_phrase(name: str, subject: str) -> None:
    verdict = detect_auto_reply(buyer_mail(subject, "Hello\n"), CTX)
    assert verdict is not None
    lang = next(lang for n, lang, _ in SUBJECT_PHRASES if n == name)
    assert verdict.evidence["subject_phrase"].startswith(f"{lang}/{name}:")


BODY_EXAMPLES = {
    "away_until": "I'm on annual leave until 7 December.",
    "limited_access": "I am travelling with limited access to email.",
    "automatic_notice": "This is an automated response. Your mail has been received.",
    "abwesend_bis": "Ich bin ab Montag wieder im Büro, bis dahin abwesend.",
    "automatische_antwort": "Dies ist eine automatische Antwort.",
    "absent_jusqu": "Je suis en congés jusqu'au 7 décembre.",
    "reponse_automatique": "Ceci est une réponse automatique.",
    "fuera_hasta": "Estoy de vacaciones hasta el 7 de diciembre.",
    "respuesta_automatica": "Esta es una respuesta automática.",
    "fora_ate": "Estarei fora do escritório até 7 de dezembro.",
    "resposta_automatica": "Esta é uma resposta automática.",
    "otsutstvuyu_do": "Я нахожусь в командировке до 7 декабря.",
    "avtootvet": "Это автоматический ответ.",
    "fuori_fino": "Sarò in ferie fino al 7 dicembre.",
    "risposta_automatica": "Questa è una risposta automatica.",
    "afwezig_tot": "Ik ben met vakantie tot 7 december.",
    "automatisch_antwoord": "Dit is een automatisch antwoord.",
    "kadar_disinda": "İzindeyim, 7 Aralık'ta döneceğim.",
    "otomatik_yanit": "Bu otomatik bir yanıttır.",
    "xiujia_fanhui": "我出差至12月7日，期间回复可能延迟。",
    "zidong_huifu": "这是一封自动回复邮件。",
    "fuzai_made": "出張のため12月7日まで不在です。",
    "jidou_outou": "本メールは自動返信です。",
    "kharij_hatta": "أنا في إجازة حتى 7 ديسمبر",
    "rad_tilqai": "هذا رد تلقائي",
}


def test_every_body_phrase_has_an_example() -> None:
    assert {name for name, _, _ in BODY_PHRASES} == set(BODY_EXAMPLES)


@pytest.mark.parametrize(("name", "body"), BODY_EXAMPLES.items())
def test_each_body_phrase(name: str, body: str) -> None:
    verdict = detect_auto_reply(buyer_mail("Re: PI", f"Hello,\n{body}\nAnna\n"), CTX)
    assert verdict is not None
    lang = next(lang for n, lang, _ in BODY_PHRASES if n == name)
    assert verdict.evidence["body_phrase"].startswith(f"{lang}/{name}:")


QUOTED = (
    "\n\nOn Fri, 20 Nov 2026 at 09:00, Zhang Wei <zhang@factory.example> wrote:\n"
    "> Dear Anna, please find our PI 2026-118 attached.\n"
)

HUMAN = {
    "past tense": "Sorry for the late reply, I was out of office last week.\n"
    "Please send the updated PI.",
    "past tense de": "Entschuldigung, ich war im Urlaub. Bitte senden Sie das Angebot erneut.",
    "past tense zh": "不好意思，上周在出差，刚回来。价格可以再低一点吗？",
    "future absence, no return shape": "Thanks. I will be on holiday next week, so please "
    "send the samples before Friday.",
    "on top of the quote": "I'm out of office until Monday, will check the PI with my boss "
    "then." + QUOTED,
    "ooo text only in the quote": "Please see below, the price is fine."
    "\n\nOn Thu, 19 Nov 2026, Anna wrote:\n> I am out of the office until 5 December.\n",
    "mention far down": "Dear Zhang,\n\nThanks for the PI.\nWe need 5000 pcs of 6205.\n"
    "Delivery to Hamburg.\nI am out of the office until 7 December, my colleague will "
    "follow up.\n",
    "talks about an auto reply": "I got your automatic reply yesterday. Are you back?",
}


@pytest.mark.parametrize("body", HUMAN.values(), ids=HUMAN.keys())
def test_human_replies_mentioning_absence_are_replies(body: str) -> None:
    verdict = classify(buyer_mail("Re: PI 2026-118", body), CTX)
    assert (verdict.label, verdict.thread_id) == ("reply", 7)


@pytest.mark.parametrize(
    "subject", ["Re: Automatic reply: PI 2026-118", "AW: Abwesenheitsnotiz: PI", "Fwd: OOO: PI"]
)
def test_answering_an_auto_reply_is_a_reply(subject: str) -> None:
    verdict = classify(buyer_mail(subject, "Yes, I am back now. Price is OK."), CTX)
    assert verdict.label == "reply"


def test_auto_response_suppress_is_not_a_sign() -> None:
    msg = buyer_mail("RE: PI 2026-118", "OK, noted.", "X-Auto-Response-Suppress: All\n")
    assert classify(msg, CTX).label == "reply"


def corpus() -> list[tuple[dict[str, Any], ParsedMessage]]:
    with (CORPUS / "manifest.toml").open("rb") as fh:
        entries: list[dict[str, Any]] = tomllib.load(fh)["message"]
    parsed = []
    for entry in entries:
        try:
            parsed.append((entry, parse_message((CORPUS / entry["path"]).read_bytes())))
        except MailParseError:
            continue
    return parsed


@needs_corpus
def test_every_corpus_auto_reply_is_caught() -> None:
    found = [(e, m) for e, m in corpus() if e["label"] == "auto_reply"]
    assert len(found) >= 10
    for entry, msg in found:
        assert detect_auto_reply(msg, CTX) is not None, entry["path"]


@needs_corpus
def test_corpus_headerless_ooo_is_caught_by_its_words() -> None:
    msg = parse_message((CORPUS / "bounceparser/warning-6.eml").read_bytes())
    verdict = detect_auto_reply(msg, CTX)
    assert verdict is not None and "subject_phrase" in verdict.evidence
    assert "body_phrase" in verdict.evidence


@needs_corpus
@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("bounceparser/aol-vacation.eml", date(2010, 7, 5)),
        ("bounceparser/warning-6.eml", date(2010, 1, 5)),  # dd/mm, as the notes say
        ("set-of-emails/rfc3834-01.eml", date(2005, 5, 5)),
        ("set-of-emails/rfc3834-04.eml", date(2013, 7, 31)),  # "July 10-31"
    ],
)
def test_corpus_return_dates(path: str, back: date) -> None:
    verdict = detect_auto_reply(parse_message((CORPUS / path).read_bytes()), CTX)
    assert verdict is not None and verdict.return_date == back


@needs_corpus
def test_no_corpus_human_reply_becomes_an_auto_reply() -> None:
    checked = 0
    for entry, msg in corpus():
        if entry["label"] != "human_reply":
            continue
        ids = {msg_id: 1 for msg_id in (*msg.in_reply_to, *msg.references)}
        ctx = ClassifyContext(rep_addresses=frozenset({"rep@factory.example"}), thread_ids=ids)
        if classify(msg, ctx).label == "auto_reply":
            # Only a reply relayed by a mailing list may be set aside, by its list headers.
            assert "mailing list" in entry["notes"], entry["path"]
        checked += 1
    assert checked >= 30


@needs_corpus
def test_phrases_never_fire_on_corpus_mail_written_by_people() -> None:
    for entry, msg in corpus():
        if entry["label"] in ("human_reply", "other"):
            verdict = detect_auto_reply(msg, CTX)
            evidence = verdict.evidence if verdict else {}
            assert "subject_phrase" not in evidence, entry["path"]
            assert "body_phrase" not in evidence, entry["path"]
