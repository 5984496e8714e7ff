"""Replies to review and digest mails as real mail clients write them, read end to end.

Each file in fixtures/replies is the raw message a client sends when the rep answers a
review mail (or a digest): its own MIME layout, charset, transfer encoding and quoting
style. The test reads it the way the daemon does (parse_message, then the grammar) and
checks the command; the expectations live here, not in the fixtures.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from followupd.approval.commands import Command, own_text, parse_command
from followupd.approval.digest import DigestChoice, parse_digest
from followupd.mail.parse import html_to_text, parse_message

FIXTURES = Path(__file__).parent / "fixtures" / "replies"
REVIEW_DE = "fu.3f1c9a0e7b2d4c8e9a1b5d7f@nbvalve.example"
REVIEW_BR = "fu.8a2e6c4b1d9f3e7a5c0b2d4f@nbvalve.example"
DIGEST = "fu.c7d1e5a9b3f2468ace013579@nbvalve.example"

# file: (the review mail it answers, the command it carries)
SINGLE: dict[str, tuple[str, Command]] = {
    "outlook_desktop.eml": (REVIEW_DE, Command(verb="approve", evidence="Approve")),
    "outlook_desktop_zh.eml": (
        REVIEW_BR,
        Command(verb="paid", evidence="Paid - 客户今天付了全款，谢谢。"),
    ),
    "outlook_web.eml": (
        REVIEW_DE,
        Command(verb="lost", evidence="Lost - he ordered from a Turkish supplier after all."),
    ),
    "outlook_mobile.eml": (REVIEW_DE, Command(verb="skip", evidence="skip")),
    "gmail_web.eml": (REVIEW_DE, Command(verb="approve", evidence="ok")),
    "gmail_html_only.eml": (
        REVIEW_DE,
        Command(verb="pause", evidence="pause until 2026-12-01", until=date(2026, 12, 1)),
    ),
    "apple_iphone.eml": (REVIEW_DE, Command(verb="won", evidence="Won")),
    "iphone_zh.eml": (REVIEW_DE, Command(verb="approve", evidence="发送")),
    "apple_mail_zh.eml": (
        REVIEW_DE,
        Command(verb="snooze", evidence="推迟3天", delay=timedelta(days=3)),
    ),
    "thunderbird_top.eml": (
        REVIEW_DE,
        Command(
            verb="snooze",
            evidence="snooze 3d - he is at the fair this week.",
            delay=timedelta(days=3),
        ),
    ),
    "thunderbird_bottom.eml": (REVIEW_DE, Command(verb="stop", evidence="stop")),
    "foxmail_gbk.eml": (REVIEW_BR, Command(verb="approve", evidence="同意")),
    "qq_mail.eml": (
        REVIEW_DE,
        Command(verb="skip", evidence="跳过&nbsp;&nbsp;这个客户上周已经电话联系过了。"),
    ),
    "netease_html.eml": (
        REVIEW_DE,
        Command(verb="pause", evidence="暂停到2026-12-01", until=date(2026, 12, 1)),
    ),
    "mutt_bottom.eml": (
        REVIEW_DE,
        Command(verb="set", evidence="set validity 2026-12-20", argument="validity 2026-12-20"),
    ),
    "k9_android.eml": (REVIEW_DE, Command(verb="now", evidence="now")),
}

DIGESTS: dict[str, list[DigestChoice]] = {
    "gmail_digest.eml": [
        DigestChoice(verb="approve", numbers=(1, 3), evidence="approve 1 3, skip 2"),
        DigestChoice(verb="skip", numbers=(2,), evidence="approve 1 3, skip 2"),
    ],
    "foxmail_digest.eml": [
        DigestChoice(verb="approve", numbers=(1, 3), evidence="同意 1 3，跳过 2"),
        DigestChoice(verb="skip", numbers=(2,), evidence="同意 1 3，跳过 2"),
    ],
}

# A command word that the quoted review mail (or digest) contains and the rep did not give.
QUOTED_ONLY: dict[str, str] = {name: "stop" for name in (*SINGLE, *DIGESTS)}
QUOTED_ONLY["thunderbird_bottom.eml"] = "approve"

HTML_ONLY = ("gmail_html_only.eml", "netease_html.eml")


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def html_part(raw: bytes) -> str | None:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    return None if part is None else str(part.get_content())


def test_every_fixture_has_an_expectation() -> None:
    assert {p.name for p in FIXTURES.glob("*.eml")} == set(SINGLE) | set(DIGESTS)


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_single_reply(name: str) -> None:
    review_id, expected = SINGLE[name]
    msg = parse_message(load(name))
    assert msg.in_reply_to == (review_id,)
    assert re.search(r"\[FU-\d+-[a-z2-7]{10}-[a-z2-7]{16}\] Draft", msg.subject)
    assert parse_command(msg.text) == expected


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_digest_reply(name: str) -> None:
    msg = parse_message(load(name))
    assert msg.in_reply_to == (DIGEST,)
    assert parse_digest(msg.text) == DIGESTS[name]


@pytest.mark.parametrize("name", sorted(QUOTED_ONLY))
def test_quoted_command_words_never_count(name: str) -> None:
    text = parse_message(load(name)).text
    own = own_text(text)
    word = re.compile(rf"\b{QUOTED_ONLY[name]}\b", re.IGNORECASE)
    # The word is in the mail, in the quoted part only; so is the token.
    assert word.search(text)
    assert not word.search(own)
    assert "Token:" in text
    assert "Token:" not in own


@pytest.mark.parametrize("name", HTML_ONLY)
def test_html_only_replies_are_read_through_the_html_path(name: str) -> None:
    raw = load(name)
    msg = parse_message(raw)
    assert msg.content_type == "text/html"
    assert b"text/plain" not in raw
    assert "<div" not in msg.text and "&lt;" not in msg.text
    # The quoted review came out of a <blockquote>, marked the way plain-text clients do.
    assert "> followupd drafted follow-up 1 of 4" in msg.text


@pytest.mark.parametrize(
    "name", sorted(n for n in (*SINGLE, *DIGESTS) if n not in HTML_ONLY and html_part(load(n)))
)
def test_html_alternative_says_the_same(name: str) -> None:
    # A client may one day send only its HTML part; it must carry the same command.
    html = html_part(load(name))
    assert html is not None
    text = html_to_text(html)
    if name in DIGESTS:
        assert [(c.verb, c.numbers) for c in parse_digest(text)] == [
            (c.verb, c.numbers) for c in DIGESTS[name]
        ]
    else:
        expected = SINGLE[name][1]
        command = parse_command(text)
        assert (command.verb, command.delay, command.until, command.argument) == (
            expected.verb,
            expected.delay,
            expected.until,
            expected.argument,
        )


@pytest.mark.parametrize(
    ("name", "charset"),
    [
        ("foxmail_gbk.eml", b'charset="gbk"'),
        ("foxmail_digest.eml", b'charset="GB18030"'),
        ("qq_mail.eml", b'charset="gb18030"'),
        ("outlook_desktop_zh.eml", b'charset="gb2312"'),
    ],
)
def test_chinese_charsets_are_decoded(name: str, charset: bytes) -> None:
    raw = load(name)
    assert charset in raw
    # The Chinese quote header decodes to Chinese, not to mojibake or replacement marks.
    text = parse_message(raw).text
    assert "发件人" in text or "原始邮件" in text
    assert "\ufffd" not in text
