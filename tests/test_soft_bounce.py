"""Soft bounces end to end: the follow-up goes again a day later; delays change nothing."""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from loop_helpers import deliver_text, events, followups, one_followup_sent, steps, thread_states
from sqlalchemy import select

from followupd.core.machine import SOFT_BOUNCE_LIMIT, SOFT_RETRY_AFTER
from followupd.demo.world import BUYER, REP, World
from followupd.model import Contact

pytestmark = pytest.mark.pymap


def _dsn(w: World, fu: str, n: int, *, action: str, status: str, diagnostic: str) -> str:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.seller.test>\n"
        f"To: {REP}\nSubject: Undelivered Mail Returned to Sender\n"
        f"Message-ID: <dsn.{n}@mx.seller.test>\nDate: {format_datetime(w.clock.now())}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.seller.test\n\n"
        f"Final-Recipient: rfc822; {BUYER}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n\n"
        "--b\nContent-Type: text/rfc822-headers\n\n"
        f"From: {REP}\nTo: {BUYER}\nMessage-ID: <{fu}>\nSubject: Re: PI 2026-118\n\n"
        "--b--\n"
    )


async def _contact(w: World) -> Contact:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        contact = await session.scalar(select(Contact).where(Contact.email == BUYER))
    assert contact is not None
    return contact


async def test_mailbox_full_sends_the_same_followup_again_a_day_later(
    tmp_path: Path, db_url: str
) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        fu = await one_followup_sent(w)
        first_at = parsedate_to_datetime(str(followups(w)[0].message["Date"]))
        await deliver_text(
            w, _dsn(w, fu, 1, action="failed", status="4.2.2", diagnostic="452 mailbox full")
        )
        assert await thread_states(w) == ["approved"]
        assert len(w.notices("Delivery failed for now:")) == 1
        assert (await _contact(w)).soft_bounces == 1
        await w.advance_until(lambda: len(followups(w)) == 2)
        again = followups(w)[1].message
        assert str(again["Message-ID"]).strip("<>") == fu
        assert parsedate_to_datetime(str(again["Date"])) - first_at >= SOFT_RETRY_AFTER
        # The cadence goes on from the retry: the next step is planned again, once.
        assert await thread_states(w) == ["active"]
        assert [n for n, _ in await steps(w)] == [1, 2]
        assert "soft-bounce" in await events(w)


async def test_delay_warning_changes_nothing(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        fu = await one_followup_sent(w)
        await deliver_text(
            w,
            _dsn(w, fu, 1, action="delayed", status="4.4.7", diagnostic="will retry for 4 days"),
        )
        assert await thread_states(w) == ["active"]
        assert w.notices("Delivery failed for now:") == []
        assert (await _contact(w)).soft_bounces == 0
        assert "delivery-delayed" in await events(w)


async def test_repeated_soft_bounces_end_the_address(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        fu = await one_followup_sent(w)
        for n in range(1, SOFT_BOUNCE_LIMIT + 1):
            await deliver_text(
                w, _dsn(w, fu, n, action="failed", status="4.2.2", diagnostic="452 mailbox full")
            )
            if n < SOFT_BOUNCE_LIMIT:
                await w.advance_until(lambda n=n: len(followups(w)) == n + 1)  # type: ignore[misc]
        assert await thread_states(w) == ["bounced"]
        contact = await _contact(w)
        assert contact.suppressed and contact.suppressed_reason
        assert "temporary failures" in contact.suppressed_reason
        assert len(w.notices(f"Address bounced: {BUYER}")) == 1
        for _ in range(10):
            if await w.advance() is None:
                break
        assert len(followups(w)) == SOFT_BOUNCE_LIMIT
