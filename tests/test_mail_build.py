"""Outgoing mail: threading headers, machine markers, and a clean round trip."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from followupd.mail.build import (
    MAX_REFERENCES,
    build_followup,
    build_internal,
    make_message_id,
    reference_chain,
    reply_subject,
)
from followupd.mail.parse import Address, parse_message

REP = Address(name="张伟 (Sales)", email="zhang@factory.example")
BUYER = Address(name="Müller, Jörg", email="j.mueller@buyer.example")
WHEN = datetime(2024, 6, 6, 10, 4, tzinfo=timezone(timedelta(hours=2)))
# Outlook ids are longer than a header line; they must never be encoded or broken.
OUTLOOK_ID = "DB9PR08MB6588E0F0B1F8F0C0D1B2A5C6E4A59@DB9PR08MB6588.eurprd08.prod.outlook.com"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("PI 2024-08", "Re: PI 2024-08"),
        ("Re: PI 2024-08", "Re: PI 2024-08"),
        ("RE: Aw: re:PI", "Re: PI"),
        ("Re[2]: AW: SV: Antw: Réf. : PI", "Re: PI"),
        ("回复：答复: 报价单", "Re: 报价单"),
        ("Fw: PI", "Re: Fw: PI"),
        ("Re: Fwd: Re: PI", "Re: Fwd: Re: PI"),
        ("  Research results ", "Re: Research results"),
        ("", "Re:"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_message_id_is_deterministic_and_bare() -> None:
    first = make_message_id(12, "step", 3, domain="factory.example")
    assert first == make_message_id(12, "step", 3, domain="factory.example")
    assert first != make_message_id(12, "step", 4, domain="factory.example")
    # Joining with NUL keeps ("a b", "c") and ("a", "b c") apart.
    assert make_message_id("a b", "c", domain="x.example") != make_message_id(
        "a", "b c", domain="x.example"
    )
    assert first.startswith("fu.") and first.endswith("@factory.example")
    assert len(first.split("@")[0]) == 3 + 24
    with pytest.raises(ValueError):
        make_message_id(1, domain="bad domain")


def followup(**overrides: object) -> bytes:
    args: dict[str, object] = {
        "from_": REP,
        "to": BUYER,
        "subject": "Re: PI 2024-08 für Kugellager — Lieferzeit und Preisgültigkeit bis Ende Juni",
        "text": "Dear Mr. Müller,\n\nthe price is valid until 30 June.\n",
        "html": "<p>Dear Mr. Müller,</p><p>the price is valid until 30 June.</p>",
        "message_id": make_message_id(7, 1, domain="factory.example"),
        "in_reply_to": OUTLOOK_ID,
        "references": ["root@factory.example", OUTLOOK_ID],
        "date": WHEN,
    }
    args.update(overrides)
    return build_followup(**args).as_bytes()  # type: ignore[arg-type]


def test_followup_round_trip() -> None:
    raw = followup(read_receipt_to="zhang@factory.example")
    msg = parse_message(raw)
    assert msg.message_id == make_message_id(7, 1, domain="factory.example")
    assert msg.in_reply_to == (OUTLOOK_ID,)
    assert msg.references == ("root@factory.example", OUTLOOK_ID)
    assert msg.subject.startswith("Re: PI 2024-08 für Kugellager")
    assert msg.from_ == REP and msg.to == (BUYER,)
    assert msg.date == WHEN
    assert msg.content_type == "multipart/alternative"
    assert msg.text == "Dear Mr. Müller,\n\nthe price is valid until 30 June.\n"
    assert b"Disposition-Notification-To: zhang@factory.example" in raw


def test_followup_looks_hand_written() -> None:
    raw = followup()
    header = raw.split(b"\n\n")[0].lower()
    assert b"x-followupd" not in header and b"auto-submitted" not in header
    assert b"mime-version: 1.0" in header


def test_headers_are_folded_and_ascii() -> None:
    raw = followup(references=[f"id{i}.{'x' * 40}@mail.example" for i in range(30)])
    raw.decode("ascii")  # 7-bit clean: any relay can carry it
    header = raw.split(b"\n\n")[0]
    assert all(len(line) <= 78 for line in header.split(b"\n") if OUTLOOK_ID.encode() not in line)
    assert b"=?utf-8?" in header  # non-ASCII names and subject are encoded
    assert OUTLOOK_ID.encode() in header  # the long id stays whole
    assert len(parse_message(raw).references) == MAX_REFERENCES


def test_reference_chain() -> None:
    assert reference_chain(["<a@x>", "b@x", "a@x", "c@x"], "b@x") == ["a@x", "c@x", "b@x"]
    long = reference_chain([f"{i}@x" for i in range(50)], "new@x")
    assert len(long) == MAX_REFERENCES
    assert long[0] == "0@x" and long[-2:] == ["49@x", "new@x"]


def test_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        followup(date=datetime(2024, 6, 6, 10, 4))


def test_internal_mail_is_marked_as_machine_mail() -> None:
    built = build_internal(
        from_=Address(name="followupd", email="zhang@factory.example"),
        to=REP,
        subject="[followupd] Draft 12 for Müller — reply APPROVE",
        text="Reply with approve, skip or stop.\nFU-12-abcdefghij-abcdefghijklmnop\n",
        message_id=make_message_id("review", 12, domain="factory.example"),
        date=WHEN,
        kind="review",
        in_reply_to="root@factory.example",
    )
    raw = built.as_bytes()
    assert built["Auto-Submitted"] == "auto-generated"
    assert built["X-Followupd"] == "review"
    msg = parse_message(raw)
    assert msg.auto_headers["x-followupd"] == "review"
    assert msg.auto_headers["auto-submitted"] == "auto-generated"
    assert msg.in_reply_to == ("root@factory.example",)
    assert msg.subject == "[followupd] Draft 12 for Müller — reply APPROVE"
    assert "FU-12-abcdefghij-abcdefghijklmnop" in msg.text
    with pytest.raises(ValueError):
        build_internal(
            from_=REP, to=REP, subject="x", text="x", message_id="a@b", date=WHEN, kind="Bad Kind"
        )
