"""Reading what a buyer's reply says: each rule, quoted text, precedence, the reply verdict."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.classify.base import ClassifyContext
from followupd.classify.intent import INTENT_RULES, PRECEDENCE, match_intent, reply_intent
from followupd.classify.pipeline import classify
from followupd.mail.parse import parse_message

# One or more buyer sentences per rule, keyed like the rule: (intent, language).
EXAMPLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("unsubscribe", "en"): (
        "Please remove me from your mailing list.",
        "We are not interested, thanks.",
        "Stop sending me these emails.",
    ),
    ("unsubscribe", "zh"): ("我们不需要，请勿再发。", "对贵司产品不感兴趣"),
    ("unsubscribe", "es"): ("No nos interesa, gracias.", "Por favor, dejen de enviar correos."),
    ("unsubscribe", "fr"): ("Nous ne sommes pas intéressés.", "Merci de ne plus nous contacter."),
    ("unsubscribe", "de"): ("Wir haben kein Interesse.", "Bitte keine E-Mails mehr."),
    ("unsubscribe", "pt"): ("Não temos interesse.", "Parem de enviar e-mails, por favor."),
    ("unsubscribe", "ru"): ("Нас это не интересует.", "Удалите меня из рассылки."),
    ("price", "en"): ("Your price is too high.", "Can you give us a better price"),
    ("price", "zh"): ("你们的价格太高了", "能不能便宜一点"),
    ("price", "es"): ("Es demasiado caro para nosotros.", "Necesitamos un mejor precio."),
    ("price", "fr"): ("C'est trop cher.", "Votre prix est élevé."),
    ("price", "de"): ("Das ist uns zu teuer.", "Ihr Preis ist leider zu hoch."),
    ("price", "pt"): ("Está muito caro.", "O preço está alto demais, há desconto"),
    ("price", "ru"): ("Слишком дорого для нас.", "Цена слишком высокая."),
    ("comparing", "en"): ("We are comparing offers from other suppliers.",),
    ("comparing", "zh"): ("我们在比较几家的报价", "还有其他供应商在报价"),
    ("comparing", "es"): ("Estamos comparando ofertas.",),
    ("comparing", "fr"): ("Nous comparons plusieurs devis.",),
    ("comparing", "de"): ("Wir vergleichen noch mehrere Angebote.",),
    ("comparing", "pt"): ("Estamos comparando outras cotações.",),
    ("comparing", "ru"): ("Мы сравниваем другие предложения.",),
    ("later", "en"): ("Not now, maybe next year.", "Let's talk after the holidays."),
    ("later", "zh"): ("以后再说吧", "暂时不需要"),
    ("later", "es"): ("Lo vemos más adelante.",),
    ("later", "fr"): ("On en reparle plus tard.",),
    ("later", "de"): ("Vielleicht nächstes Jahr.", "Derzeit nicht."),
    ("later", "pt"): ("Talvez mais tarde.",),
    ("later", "ru"): ("Давайте вернёмся к этому позже.", "Пока не нужно."),
    ("interested", "en"): ("Please send the catalogue.", "We are interested in the 6205 bearings."),
    ("interested", "zh"): ("我们对这款有兴趣，请发目录", "请提供样品"),
    ("interested", "es"): ("Estamos interesados, envíenos el catálogo.",),
    ("interested", "fr"): ("Pouvez-vous envoyer un échantillon.",),
    ("interested", "de"): ("Bitte senden Sie uns Muster.",),
    ("interested", "pt"): ("Temos interesse, por favor envie amostras.",),
    ("interested", "ru"): ("Пришлите, пожалуйста, каталог.",),
    ("interested", "any"): ("6205-2RS: 5000 pcs OK?",),
}


def test_every_rule_has_examples() -> None:
    assert {(intent, lang) for intent, lang, _ in INTENT_RULES} == set(EXAMPLES)


@pytest.mark.parametrize(
    ("key", "text"), [(key, text) for key, texts in EXAMPLES.items() for text in texts]
)
def test_each_rule(key: tuple[str, str], text: str) -> None:
    pattern = next(p for intent, lang, p in INTENT_RULES if (intent, lang) == key)
    assert pattern.search(text), "the rule itself must match its example"
    found = match_intent(text, "Re: PI 2026-118")
    assert found is not None and found.intent == key[0]
    # Spanish and Portuguese share words ("comparando"); the first rule to match is named.
    assert found.rule.startswith(f"{key[0]}/") and found.matched


def test_nothing_to_read() -> None:
    assert reply_intent("Thanks, noted.", "Re: PI 2026-118") is None
    assert reply_intent("", "") is None


QUOTE = (
    "\n\nOn Fri, 20 Nov 2026 at 10:00, Zhang Wei <zhang@factory.example> wrote:\n"
    "> Dear Anna, please send your order soon: our price is valid until Friday and\n"
    "> we can offer a discount. Are you comparing other suppliers?\n"
)


def test_quoted_text_is_ignored() -> None:
    assert reply_intent("Thanks, noted." + QUOTE, "Re: PI 2026-118") is None
    assert reply_intent("Please remove me." + QUOTE, "Re: PI 2026-118") == "unsubscribe"
    outlook = (
        "Not now, maybe next year.\n\nFrom: Zhang Wei <zhang@factory.example>\n"
        "Sent: Friday, November 20, 2026 10:00 AM\nSubject: PI\n\nOur best price ..."
    )
    assert reply_intent(outlook, "RE: PI") == "later"


def test_our_subject_is_not_the_buyers_words() -> None:
    assert reply_intent("", "Re: Best price offer for 6205 bearings") is None
    assert reply_intent("", "Price too high") == "price"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your price is too high, please remove me from your list.", "unsubscribe"),
        ("We are comparing offers; your price is too high.", "price"),
        ("We are comparing suppliers, maybe next year.", "comparing"),
        ("Not now. Can you send the catalogue next year?", "later"),
        ("We are not interested right now.", "later"),
        ("暂时不需要，谢谢", "later"),
        ("不需要，谢谢", "unsubscribe"),
        ("Interested? Not at all. Not interested.", "unsubscribe"),
    ],
)
def test_precedence(text: str, expected: str) -> None:
    assert reply_intent(text, "") == expected


def test_precedence_order() -> None:
    assert PRECEDENCE == ("unsubscribe", "price", "comparing", "later", "interested")


def test_the_reply_verdict_carries_the_intent() -> None:
    raw = (
        "From: Anna <anna@buyer.example>\r\nTo: zhang@factory.example\r\n"
        "Subject: Re: PI 2026-118\r\nIn-Reply-To: <root.7@factory.example>\r\n\r\n"
        "Ihr Preis ist leider zu hoch.\r\n" + QUOTE.replace("\n", "\r\n")
    )
    ctx = ClassifyContext(
        rep_addresses=frozenset({"zhang@factory.example"}),
        thread_ids={"root.7@factory.example": 7},
    )
    verdict = classify(parse_message(raw.encode()), ctx)
    assert (verdict.label, verdict.thread_id, verdict.intent) == ("reply", 7, "price")
    assert verdict.evidence["intent_rule"].startswith("price/de: ")


def test_a_reply_without_intent_has_none() -> None:
    raw = (
        "From: anna@buyer.example\r\nSubject: Re: PI\r\n"
        "In-Reply-To: <root.7@factory.example>\r\n\r\nNoted, thanks.\r\n"
    )
    ctx = ClassifyContext(rep_addresses=frozenset(), thread_ids={"root.7@factory.example": 7})
    verdict = classify(parse_message(raw.encode()), ctx)
    assert (verdict.label, verdict.intent) == ("reply", None)
    assert "intent_rule" not in verdict.evidence


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=500), subject=st.text(max_size=100))
def test_never_raises_on_random_text(text: str, subject: str) -> None:
    assert reply_intent(text, subject) in (None, *PRECEDENCE)
