"""parse_message on real-world mail and on hand-made damaged mail: it never crashes."""

from __future__ import annotations

import contextlib
import time
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.errors import MailParseError
from followupd.mail.parse import Address, html_to_text, parse_message

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")


def corpus_entries() -> list[dict[str, Any]]:
    if not CORPUS.is_dir():
        return []
    with (CORPUS / "manifest.toml").open("rb") as fh:
        entries: list[dict[str, Any]] = tomllib.load(fh)["message"]
    return entries


def mail(headers: str, body: bytes = b"Hello\r\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


BASIC = """
From: "Buyer, Anna" <Anna@Buyer.example>
To: Rep <rep@factory.example>, =?utf-8?b?5byg5Lyf?= <zhang@factory.example>
Cc: other@buyer.example
Subject: =?utf-8?q?Re=3A_PI_f=C3=BCr_Kugellager?=
Date: Tue, 04 Jun 2024 09:12:00 +0200
Message-ID: < abc.123@buyer.example >
In-Reply-To: <fu.1@factory.example>
References: <root@factory.example>
 <fu.1@factory.example> <root@factory.example>
Delivered-To: rep@factory.example
Received: from mx.buyer.example by mx.factory.example with ESMTPS id 1
 for <Rep+FU@factory.example>; Tue, 04 Jun 2024 09:12:01 +0200
Received: from laptop by mx.buyer.example for <someone-else@buyer.example>; Tue, 4 Jun 2024
Auto-Submitted: no
X-Auto-Response-Suppress: All
"""


def test_headers_are_decoded_and_normalised() -> None:
    msg = parse_message(mail(BASIC))
    assert msg.message_id == "abc.123@buyer.example"
    assert msg.in_reply_to == ("fu.1@factory.example",)
    assert msg.references == ("root@factory.example", "fu.1@factory.example")
    assert msg.subject == "Re: PI für Kugellager"
    assert msg.from_ == Address(name="Buyer, Anna", email="anna@buyer.example")
    assert msg.to[1] == Address(name="张伟", email="zhang@factory.example")
    assert msg.cc == (Address(name="", email="other@buyer.example"),)
    assert msg.date == datetime(2024, 6, 4, 9, 12, tzinfo=timezone(timedelta(hours=2)))
    emails = [a.email for a in msg.delivered_to]
    assert emails == ["rep@factory.example", "rep+fu@factory.example"]
    assert msg.auto_headers["auto-submitted"] == "no"
    assert msg.auto_headers["x-auto-response-suppress"] == "All"
    assert msg.text == "Hello\n"


def test_missing_message_id_and_minus_zero_date() -> None:
    msg = parse_message(mail("From: a@b.example\nDate: Tue, 4 Jun 2024 10:00:00 -0000"))
    assert msg.message_id is None
    assert msg.date == datetime(2024, 6, 4, 10, 0, tzinfo=UTC)
    assert msg.subject == ""


def test_eight_bit_headers_in_utf8_and_latin1() -> None:
    raw = (
        "From: Jörg Müller <j@buyer.example>\r\n".encode()
        + b"Subject: Gr\xfc\xdfe aus K\xf6ln\r\n\r\nBody\r\n"
    )
    msg = parse_message(raw)
    assert msg.from_ == Address(name="Jörg Müller", email="j@buyer.example")
    assert msg.subject == "Grüße aus Köln"


def test_broken_encoded_words_and_garbage_headers_do_not_crash() -> None:
    raw = mail(
        """
From: =?unknown-8bit?q?a=FF?= <a@b.example>, bad,,<<x@@y>
To: undisclosed-recipients:;
Subject: =?utf-8?b?!!!notbase64?= =?x-unknown?q?caf=E9?=
Message-ID: <no-closing-bracket@x
References: not an id at all, <ok@x.example>
Date: not a date
Content-Type: text/plain; charset="x-no-such-charset"
"""
    )
    msg = parse_message(raw)
    assert msg.from_ is not None and msg.from_.email == "a@b.example"
    assert msg.to == ()
    assert isinstance(msg.subject, str)
    assert msg.references == ("ok@x.example",)
    assert msg.date is None
    assert msg.text == "Hello\r\n".replace("\r\n", "\n")


def test_headers_that_crash_the_stdlib_header_classes_fall_back() -> None:
    # Each of these values makes email.policy.default raise when the header is read.
    raw = mail(
        """
From: Anna <anna@buyer.example>
To: x@[1.2.3.4
Cc: a:b:c:;;
Bcc: "
Message-ID: <<@>>
"""
    )
    msg = parse_message(raw)
    assert msg.from_ == Address(name="Anna", email="anna@buyer.example")
    assert isinstance(msg.to, tuple) and isinstance(msg.cc, tuple)
    assert msg.message_id is None


def test_unknown_charset_and_broken_base64_body() -> None:
    raw = mail(
        """
From: a@b.example
Content-Type: text/plain; charset=klingon-1
Content-Transfer-Encoding: base64
""",
        b"SGVsbG8gd29ybGQ=!!!***\r\nnot-base64-at-all\r\n",
    )
    assert parse_message(raw).text.startswith("Hello world")


def test_wrong_charset_label_falls_back_to_utf8() -> None:
    raw = mail(
        "From: a@b.example\nContent-Type: text/plain; charset=us-ascii\n",
        "Preis: 12 €\r\n".encode(),
    )
    assert parse_message(raw).text == "Preis: 12 €\n"


def test_gb2312_label_with_gbk_text() -> None:
    # 镕 is in GBK but not in GB2312; mislabelled Chinese mail is common.
    raw = mail(
        "From: a@b.example\nContent-Type: text/plain; charset=gb2312\n", "镕钢".encode("gbk")
    )
    assert parse_message(raw).text == "镕钢"


def test_huge_header_is_cut_and_fast() -> None:
    raw = mail("From: a@b.example\nSubject: " + "word " * 400_000)
    started = time.perf_counter()
    msg = parse_message(raw)
    assert time.perf_counter() - started < 5
    assert 0 < len(msg.subject) <= 64 * 1024


def test_nested_multiparts_pick_first_plain_text_and_list_attachments() -> None:
    body = b"""--outer\r
Content-Type: multipart/alternative; boundary="inner"\r
\r
--inner\r
Content-Type: text/plain; charset=utf-8\r
Content-Transfer-Encoding: quoted-printable\r
\r
Dear Anna,=0D=0Awe confirm =E2=82=AC 1.200.\r
--inner\r
Content-Type: text/html; charset=utf-8\r
\r
<p>Dear Anna</p>\r
--inner--\r
--outer\r
Content-Type: application/pdf; name="PI-2024-08.pdf"\r
Content-Disposition: attachment; filename="PI-2024-08.pdf"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQK\r
--outer\r
Content-Type: message/rfc822\r
\r
From: old@x.example\r
Subject: old\r
\r
Old text that is not this message's text.\r
--outer--\r
"""
    raw = mail('From: a@b.example\nContent-Type: multipart/mixed; boundary="outer"', body)
    msg = parse_message(raw)
    assert msg.content_type == "multipart/mixed"
    assert msg.text.startswith("Dear Anna,\nwe confirm € 1.200.")
    assert msg.attachments == ("PI-2024-08.pdf",)


def test_html_only_is_converted_with_quotes_marked() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<div>Yes, please send the samples.</div><div>Best&nbsp;regards<br>Anna</div>"
        "<div class=gmail_quote>On Mon, Rep wrote:<blockquote><p>Our offer</p></blockquote>"
        "</div><ul><li>one</li><li>two</li></ul></body></html>"
    )
    raw = mail("From: a@b.example\nContent-Type: text/html; charset=utf-8", html.encode())
    text = parse_message(raw).text
    assert text.splitlines() == [
        "Yes, please send the samples.",
        "Best regards",
        "Anna",
        "On Mon, Rep wrote:",
        "",
        "> Our offer",
        "",
        "- one",
        "- two",
    ]


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>a<b>b</p><div><<<>>&bogus;</div><script>x=1") == "ab\n\n<<<>>&bogus;"


def test_blank_lines_before_headers_are_ignored() -> None:
    msg = parse_message(b"\r\n\r\n" + mail("From: a@b.example\nSubject: hi"))
    assert msg.subject == "hi"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"just some text without any header", "no headers"),
        (mail("Subject: nobody sent this"), "From or Sender"),
        (mail("From: \nSubject: x"), "From or Sender"),
    ],
)
def test_unusable_input_raises_mail_parse_error(raw: bytes, reason: str) -> None:
    with pytest.raises(MailParseError, match=reason):
        parse_message(raw)


def test_oversized_message_is_refused() -> None:
    with pytest.raises(MailParseError, match="limit"):
        parse_message(mail("From: a@b.example", b"x" * 2000), max_bytes=1000)


def test_sender_is_enough() -> None:
    msg = parse_message(mail("Sender: list@lists.example"))
    assert msg.from_ is None
    assert msg.sender == Address(name="", email="list@lists.example")


@needs_corpus
def test_every_corpus_message_parses_or_is_refused_cleanly() -> None:
    entries = corpus_entries()
    parsed = 0
    for entry in entries:
        raw = (CORPUS / entry["path"]).read_bytes()
        try:
            msg = parse_message(raw)
        except MailParseError:
            continue
        parsed += 1
        assert msg.from_ is not None or msg.sender is not None
        # Lone surrogates from undecodable bytes would make these raise.
        msg.text.encode("utf-8")
        msg.subject.encode("utf-8")
    # Files that start with a blank line or have odd MIME still parse fully.
    assert parsed >= len(entries) - 2, f"only {parsed} of {len(entries)} parsed"


@needs_corpus
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("discourse/big5.eml", "媽！我上電視了！"),
        ("discourse/hebrew.eml", "שלום"),
        ("discourse/reply_with_8bit_encoding.eml", "einzufüg"),
        ("discourse/html_only.eml", "The EC2 instance"),
        ("discourse/dutch.eml", "Dit is een antwoord in het Nederlands."),
        ("chatmail-core/gmx-quote.eml", "YIPPEEEEEE"),
    ],
)
def test_corpus_body_text(path: str, expected: str) -> None:
    assert expected in parse_message((CORPUS / path).read_bytes()).text


HEADER_NAMES = ["From", "To", "Cc", "Subject", "Message-ID", "References", "Date", "Content-Type"]


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(HEADER_NAMES),
    value=st.binary(max_size=200),
    body=st.binary(max_size=500),
)
def test_random_header_and_body_bytes_never_crash(name: str, value: bytes, body: bytes) -> None:
    raw = b"From: a@b.example\r\n" + name.encode() + b": " + value + b"\r\n\r\n" + body
    try:
        msg = parse_message(raw)
    except MailParseError:
        return
    msg.text.encode("utf-8")
    msg.subject.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1500))
def test_random_bytes_never_crash(raw: bytes) -> None:
    with contextlib.suppress(MailParseError):
        parse_message(raw)
