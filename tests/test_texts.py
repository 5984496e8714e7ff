"""The catalog of texts mailed to the rep, in English and Chinese."""

from __future__ import annotations

import re

import pytest

from followupd.approval.texts import KEYS, LANGUAGES, fields, language, say, template
from followupd.sequence.states import ThreadState

_CJK = re.compile(r"[\u4e00-\u9fff]")

# Keys other modules build or rely on by name; each must exist in both languages.
REQUIRED = {
    "approved.subject": {"subject"},
    "approved.body": {"number", "when"},
    "approved_edited.body": {"number", "when"},
    "now.body": {"number", "when"},
    "skipped.subject": {"subject"},
    "skipped.body": {"number"},
    "snoozed.subject": {"subject"},
    "snoozed.body": {"number", "when"},
    "paused.subject": {"subject"},
    "paused.body": {"until"},
    "stopped.subject": {"subject"},
    "won.subject": {"subject"},
    "lost.subject": {"subject"},
    "refused.subject": {"subject"},
    "refused.body": {"reason"},
    "not_understood.subject": {"subject"},
    "not_understood.body": {"detail"},
    "not_sent.subject": {"subject"},
    "not_sent.body": {"state"},
    "edit_refused.subject": {"subject"},
    "edit_refused.body": {"problems"},
    "too_large.body": {"size", "limit"},
    "past_date.body": {"until"},
    "buyer_replied.subject": {"subject"},
    "buyer_replied.body": {"name", "sender", "mail_subject", "intent", "advice"},
    "took_over.subject": {"subject"},
    "took_over.body": {"subject", "mail_subject", "plus"},
    "needs_input.subject": {"subject"},
    "cannot_draft.subject": {"subject"},
    "cannot_draft.body": {"number", "error"},
    "digest_outcome.subject": {"count"},
    "objection.body": {"when"},
    "auto_sent.subject": {"subject"},
    "auto_sent.body": {"number", "when"},
    "notice.commands": set(),
    "notice.keep_token": {"token"},
}


def test_required_keys_take_the_agreed_values() -> None:
    for key, names in REQUIRED.items():
        for lang in LANGUAGES:
            assert fields(lang, key) == names, (key, lang)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_both_languages_take_the_same_values(key: str) -> None:
    assert fields("en", key) == fields("zh", key)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_chinese_is_chinese(key: str) -> None:
    zh = template("zh", key)
    assert _CJK.search(zh), key
    assert zh != template("en", key)


def test_every_intent_and_state_has_a_text() -> None:
    for name in ("interested", "comparing", "later", "price", "unsubscribe", "unknown"):
        assert f"intent.{name}" in KEYS and f"advice.{name}" in KEYS
    for state in ThreadState:
        # English names a state as the thread stores it, so existing notices read the same.
        assert say("en", f"state.{state.value}") == state.value
        assert _CJK.search(say("zh", f"state.{state.value}"))


def test_say_formats_the_text() -> None:
    assert say("en", "approved.subject", subject="PI 77") == "Approved: PI 77"
    assert say("zh", "approved.subject", subject="PI 77") == "已同意：PI 77"
    assert say("en", "skipped.body", number=2) == "Step 2 skipped.\n"
    assert say("en", "notice.keep_token", token="FN-1-a-b") == (
        "Keep this line in your reply: FN-1-a-b"
    )


def test_english_texts_are_the_ones_reps_already_get() -> None:
    assert say("en", "notice.commands") == (
        "\n--\n"
        "To change this thread, reply to this mail with a command on the first line:\n"
        "  set <key> <value>  correct a fact, e.g. set validity 2026-12-20\n"
        "                     (keys: validity, amount, incoterm, payment, shipment, products,\n"
        "                     tier, tracking, carrier, event, note)\n"
        "  paid               the buyer paid: start the after-payment follow-ups\n"
        "  stop               no more follow-ups on this thread\n"
        "  won / lost         close the deal\n"
    )
    assert say(
        "en",
        "buyer_replied.body",
        name="Hans",
        sender="hans@buyer.test",
        mail_subject="RE: PI",
        intent=say("en", "intent.price"),
        advice=say("en", "advice.price"),
    ) == (
        "Hans <hans@buyer.test> replied (subject: RE: PI).\n"
        "followupd stopped all follow-ups on this thread; it is yours now.\n\n"
        "What the reply seems to say: the price is too high.\n"
        "Suggested next step: offer flexible terms or another quantity (template "
        "flexible-terms).\n"
    )
    assert say("en", "bounced.hard_reason", status="", diagnostic="").strip() == "hard bounce"


def test_chinese_not_understood_lists_the_chinese_commands() -> None:
    text = say("zh", "not_understood.body", detail="x")
    for word in ("同意", "发送", "跳过", "推迟 3天", "暂停到", "立即", "停止", "成交", "丢单"):
        assert word in text
    assert "已付款" in text and "设置 <项> <值>" in text


def test_unknown_key_raises() -> None:
    with pytest.raises(KeyError, match=r"no\.such"):
        say("en", "no.such")


def test_missing_value_raises_naming_it() -> None:
    with pytest.raises(KeyError, match="'when'"):
        say("zh", "approved.body", number=1)


def test_unknown_language_is_english() -> None:
    assert say("de", "skipped.body", number=3) == say("en", "skipped.body", number=3)
    assert say("zh-CN", "skipped.body", number=3) == say("zh", "skipped.body", number=3)
    assert language("zh_Hans") == "zh"
    assert language("") == "en"


def test_every_authentication_check_has_a_reason_in_each_language() -> None:
    from followupd.approval.auth import CHECKS

    for name, _check in CHECKS:
        assert say("en", f"check.{name}", detail="the detail") == "the detail"
        chinese = say("zh", f"check.{name}", detail="the detail")
        assert "the detail" in chinese and re.search(r"[\u4e00-\u9fff]", chinese), name
