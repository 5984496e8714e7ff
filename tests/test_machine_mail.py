"""Machine mail on a tracked thread, end to end: out-of-office, bounces, read receipts, intent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from loop_helpers import deliver_text, events, followups, one_followup_sent, steps, thread_states
from sqlalchemy import select

from followupd.demo.world import BUYER, BUYER_TZ, REP, World
from followupd.model import Contact, Step

pytestmark = pytest.mark.pymap


async def _step2_due(w: World) -> datetime:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        step = await session.scalar(select(Step).where(Step.number == 2))
        assert step is not None
        return step.due_at


async def test_out_of_office_moves_the_next_step_past_the_return(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        fu = await one_followup_sent(w)
        due_before = await _step2_due(w)
        back = (w.clock.now() + timedelta(days=20)).astimezone(BUYER_TZ).date()
        await deliver_text(
            w,
            (
                f"From: Hans Becker <{BUYER}>\nTo: {REP}\nSubject: Automatic reply: PI 2026-118\n"
                f"Auto-Submitted: auto-replied\nMessage-ID: <ooo.1@buyer-corp.test>\n"
                f"In-Reply-To: <{fu}>\nDate: {format_datetime(w.clock.now())}\n\n"
                f"I am out of the office until {back:%d %B %Y} with limited access to e-mail.\n"
            ),
        )
        # Not a reply: the thread goes on, later.
        assert await thread_states(w) == ["active"]
        assert len(w.notices("Out of office:")) == 1
        due_after = await _step2_due(w)
        assert due_after > due_before
        assert due_after.astimezone(BUYER_TZ).date() > back
        assert "out-of-office" in await events(w)
        # It is never answered: no mail to the buyer came of it.
        assert len(followups(w)) == 1


async def test_hard_bounce_suppresses_and_stops(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        fu = await one_followup_sent(w)
        await deliver_text(
            w,
            (
                "From: Mail Delivery System <MAILER-DAEMON@mx.buyer-corp.test>\n"
                f"To: {REP}\nSubject: Undelivered Mail Returned to Sender\n"
                "Auto-Submitted: auto-replied\nMessage-ID: <dsn.1@mx.buyer-corp.test>\n"
                f"Date: {format_datetime(datetime.now(UTC))}\nMIME-Version: 1.0\n"
                'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
                "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
                "--b\nContent-Type: message/delivery-status\n\n"
                "Reporting-MTA: dns; mx.buyer-corp.test\n\n"
                f"Final-Recipient: rfc822; {BUYER}\nAction: failed\nStatus: 5.1.1\n"
                "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n"
                "--b\nContent-Type: text/rfc822-headers\n\n"
                f"From: {REP}\nTo: {BUYER}\nMessage-ID: <{fu}>\nSubject: Re: PI 2026-118\n\n"
                "--b--\n"
            ),
        )
        assert await thread_states(w) == ["bounced"]
        assert len(w.notices(f"Address bounced: {BUYER}")) == 1
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            contact = await session.scalar(select(Contact).where(Contact.email == BUYER))
        assert contact is not None and contact.suppressed
        assert contact.suppressed_reason and "5.1.1" in contact.suppressed_reason
        for _ in range(10):
            if await w.advance() is None:
                break
        assert len(followups(w)) == 1


async def test_read_receipt_is_remembered_on_the_followup(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        fu = await one_followup_sent(w)
        await deliver_text(
            w,
            (
                f"From: Hans Becker <{BUYER}>\nTo: {REP}\nSubject: Read: Re: PI 2026-118\n"
                "Message-ID: <mdn.1@buyer-corp.test>\nMIME-Version: 1.0\n"
                "Content-Type: multipart/report; report-type=disposition-notification;\n"
                ' boundary="m"\n'
                "\n--m\nContent-Type: text/plain\n\nYour message was displayed.\n\n"
                "--m\nContent-Type: message/disposition-notification\n\n"
                "Reporting-UA: buyer-pc; Mail\n"
                f"Final-Recipient: rfc822;{BUYER}\nOriginal-Message-ID: <{fu}>\n"
                "Disposition: manual-action/MDN-sent-manually; displayed\n\n--m--\n"
            ),
        )
        assert await thread_states(w) == ["active"]
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            first = await session.scalar(select(Step).where(Step.number == 1))
        assert first is not None and first.read_at is not None
        assert (2, "planned") in await steps(w)


@pytest.mark.parametrize(
    ("text", "shown", "suppressed"),
    [
        ("Your price is too high, we found cheaper offers.", "flexible-terms", False),
        ("Please remove me from your mailing list.", "will not write to this address", True),
    ],
)
async def test_reply_intent_reaches_the_rep(
    tmp_path: Path, text: str, shown: str, suppressed: bool
) -> None:
    async with World(tmp_path) as w:
        await one_followup_sent(w)
        await w.buyer_replies(followups(w)[0], text)
        assert await thread_states(w) == ["replied"]
        notice = w.notices("Buyer replied:")[0].message.get_body(preferencelist=("plain",))
        assert notice is not None and shown in notice.get_content()
        assert w.daemon is not None and w.daemon.rt is not None
        async with w.daemon.rt.db.transaction() as session:
            contact = await session.scalar(select(Contact).where(Contact.email == BUYER))
        assert contact is not None and contact.suppressed is suppressed
