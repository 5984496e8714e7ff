"""Full authentication in the loop: a command must prove where it came from.

The rep's client in the test world saves every reply to Sent, which is proof enough. A reply
forged by someone who knows the token (spoofed From, no copy in the rep's Sent folder) is
refused; a DKIM-signed reply is accepted without any Sent copy, through an injected DNS.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import dkim
import pytest
from loop_helpers import deliver_text, kept_commands, one_followup_sent, until_kept
from sqlalchemy import select

from followupd.approval.token import find_tokens
from followupd.demo.servers import Received
from followupd.demo.world import BUYER, REP, World
from followupd.model import Draft, Event

pytestmark = pytest.mark.pymap

KEYS = Path(__file__).parent / "fixtures" / "dkim"


def _dns(domain: str, key: str) -> dict[bytes, bytes]:
    public = (KEYS / f"{key}.pub.b64").read_text().strip()
    return {f"s1._domainkey.{domain}.".encode(): f"v=DKIM1; k=rsa; p={public}".encode()}


def _signer(domain: str, key: str):  # type: ignore[no-untyped-def]
    private = (KEYS / f"{key}.key").read_bytes()

    def sign(raw: bytes) -> bytes:
        return dkim.sign(raw, b"s1", domain.encode(), private) + raw

    return sign


def _lookup(records: dict[bytes, bytes]):  # type: ignore[no-untyped-def]
    def dns_txt(name: bytes, timeout: float = 5) -> bytes | None:
        return records.get(name)

    return dns_txt


async def _drafts(w: World) -> list[Draft]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Draft))).all())


async def _refusals(w: World) -> list[str]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        rows = await session.scalars(select(Event.cause).where(Event.kind == "command-refused"))
        return [c or "" for c in rows.all()]


def _text(w: World, subject_start: str) -> str:
    mail = w.notices(subject_start)[-1].message.get_body(preferencelist=("plain",))
    assert mail is not None
    return str(mail.get_content())


async def test_a_forged_reply_with_the_right_token_is_refused(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        # The token leaked: someone replies in the rep's name from outside her mailbox.
        await w.rep_replies(w.reviews()[0], "approve", sent_copy=False)
        await w.advance_until(lambda: bool(w.notices("Command refused:")))
        assert "origin is not proven" in _text(w, "Command refused:")
        assert "no copy of the reply" in _text(w, "Command refused:")
        (draft,) = await _drafts(w)
        assert draft.state == "pending"
        assert not w.notices("Approved:")
        assert any("origin is not proven" in c for c in await _refusals(w))
        # The rep's own answer still works afterwards: the token was not used up.
        await w.rep_replies(w.reviews()[0], "approve")
        assert w.notices("Approved:")


async def test_a_dkim_signed_reply_needs_no_sent_copy(tmp_path: Path) -> None:
    records = _dns("seller.test", "rep") | _dns("attacker.test", "other")
    async with World(tmp_path, dns_txt=_lookup(records), save_sent=False) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(
            w.reviews()[0], "approve", sent_copy=False, sign=_signer("attacker.test", "other")
        )
        await w.advance_until(lambda: bool(w.notices("Command refused:")))
        assert "signed by attacker.test" in _text(w, "Command refused:")
        await w.rep_replies(
            w.reviews()[0], "approve", sent_copy=False, sign=_signer("seller.test", "rep")
        )
        assert w.notices("Approved:")
        (draft,) = await _drafts(w)
        assert draft.state == "approved"


async def test_an_approval_after_the_buyer_read_the_last_followup_is_stale(
    tmp_path: Path,
) -> None:
    async with World(tmp_path) as w:
        fu = await one_followup_sent(w)
        await w.advance_until(lambda: len(w.reviews()) == 2)
        # The buyer displays the first follow-up after the second one was drafted.
        await deliver_text(
            w,
            (
                f"From: Hans Becker <{BUYER}>\nTo: {REP}\nSubject: Read: Re: PI 2026-118\n"
                "Message-ID: <mdn.stale@buyer-corp.test>\nMIME-Version: 1.0\n"
                "Content-Type: multipart/report; report-type=disposition-notification;\n"
                ' boundary="m"\n'
                "\n--m\nContent-Type: text/plain\n\nYour message was displayed.\n\n"
                "--m\nContent-Type: message/disposition-notification\n\n"
                f"Final-Recipient: rfc822;{BUYER}\nOriginal-Message-ID: <{fu}>\n"
                "Disposition: manual-action/MDN-sent-manually; displayed\n\n--m--\n"
            ),
        )
        await w.rep_replies(w.reviews()[1], "approve")
        assert "the buyer read the last follow-up" in _text(w, "Command refused:")
        # A fresh draft of the same step, with its own review mail and token.
        await w.advance_until(lambda: len(w.reviews()) == 3)
        states = sorted(d.state for d in await _drafts(w))
        assert states == ["approved", "pending", "stale"] or states == [
            "pending",
            "sent",
            "stale",
        ]
        await w.rep_replies(w.reviews()[2], "approve")
        assert len(w.notices("Approved:")) == 2


async def test_valid_dkim_with_another_drafts_token_is_refused(tmp_path: Path) -> None:
    records = _dns("seller.test", "rep")
    async with World(tmp_path, dns_txt=_lookup(records), save_sent=False) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.rep_sends_pi(
            subject="PI 2026-119 taper rollers", buyer="jo@other-buyer.test", buyer_name="Jo Lee"
        )
        await w.advance_until(lambda: len(w.reviews()) == 2)
        first, second = w.reviews()
        token_of = [find_tokens(str(r.message["Subject"]))[0] for r in (first, second)]
        # The reply answers the first review mail but carries the second draft's token.
        swapped = first.raw.replace(token_of[0].encode(), token_of[1].encode())
        forged = Received(first.mail_from, first.rcpt_tos, swapped)
        await w.rep_replies(forged, "approve", sent_copy=False, sign=_signer("seller.test", "rep"))
        await w.advance_until(lambda: bool(w.notices("Command refused:")))
        assert "token" in _text(w, "Command refused:")
        assert [d.state for d in await _drafts(w)] == ["pending", "pending"]


async def test_a_command_inside_a_buyers_mail_is_never_obeyed(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        review = w.reviews()[0].message
        # The buyer somehow holds the review mail (forwarded by mistake) and answers it.
        await deliver_text(
            w,
            f"From: Hans Becker <{BUYER}>\n"
            f"To: {REP}\n"
            f"Subject: Re: {review['Subject']}\n"
            f"Message-ID: <buyer.cmd@buyer-corp.test>\n"
            f"In-Reply-To: {review['Message-ID']}\n"
            "Date: Mon, 23 Nov 2026 10:00:00 -0600\n"
            "\n"
            "approve\n",
        )
        assert not w.notices("Approved:")
        (draft,) = await _drafts(w)
        assert draft.state == "pending"


async def test_a_restart_during_the_sent_wait_keeps_the_command(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        # The rep's client sends first and saves to Sent later; the daemon stops meanwhile.
        raw = await w.rep_replies(w.reviews()[0], "approve", sent_copy=False, settle=False)
        await until_kept(w)
        await w.stop_daemon()
        await asyncio.to_thread(w.imap.append, w.imap_user, raw, "Sent")
        await w.start_daemon()
        await w.advance_until(lambda: bool(w.notices("Approved:")))
        assert not w.notices("Command refused:")
        assert await kept_commands(w) == 0
        assert [d.state for d in await _drafts(w)] == ["approved"]


async def test_a_kept_command_without_its_sent_copy_is_refused_after_a_restart(
    tmp_path: Path,
) -> None:
    async with World(tmp_path) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "approve", sent_copy=False, settle=False)
        await until_kept(w)
        await w.stop_daemon()
        await w.start_daemon()
        await w.advance_until(lambda: bool(w.notices("Command refused:")))
        assert "no copy of the reply" in _text(w, "Command refused:")
        assert await kept_commands(w) == 0
        assert [d.state for d in await _drafts(w)] == ["pending"]
        assert len(w.notices("Command refused:")) == 1


async def test_a_refusal_in_chinese_says_why_in_chinese(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra={"rep_language": "zh"}) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "同意", sent_copy=False)
        await w.advance_until(lambda: bool(w.notices("指令被拒绝：")))
        text = _text(w, "指令被拒绝：")
        assert "无法证明这封回复来自您自己的邮箱" in text
        assert "no copy of the reply" in text  # the check's own detail, for the admin
