"""Shared steps and checks of the end-to-end tests (pymap and Dovecot run the same ones)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from followupd.demo.servers import Received
from followupd.demo.world import BUYER, BUYER_TZ, REP, World
from followupd.model import AwaitingOrigin, Draft, Event, Step, Thread


async def thread_states(w: World) -> list[str]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Thread.state).order_by(Thread.id))).all())


async def steps(w: World) -> list[tuple[int, str]]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        rows = await session.execute(select(Step.number, Step.state).order_by(Step.id))
        return [(n, s) for n, s in rows]


async def events(w: World) -> list[str]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Event.kind).order_by(Event.id))).all())


async def drafts(w: World) -> list[Draft]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Draft).order_by(Draft.id))).all())


async def kept_commands(w: World) -> int:
    """Replies waiting for their copy in the rep's Sent folder."""
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return len((await session.scalars(select(AwaitingOrigin))).all())


async def until_kept(w: World) -> None:
    for _ in range(200):  # bounded: 10 s
        if await kept_commands(w):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the reply was never kept for the Sent-folder search")


def plain_text(mail: Received) -> str:
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def followups(w: World) -> list[Received]:
    """Mail the daemon sent to the buyer (the rep's own PI excluded)."""
    return [r for r in w.mails_to(BUYER) if r.message.get("In-Reply-To")]


def assert_good_slot(sent: Received, not_before: datetime) -> None:
    """The follow-up went out near a full hour, in buyer working time, on a workday."""
    at = parsedate_to_datetime(str(sent.message["Date"]))
    local = at.astimezone(BUYER_TZ)
    assert at >= not_before
    assert local.weekday() < 5, local
    assert local.minute in (*range(55, 60), *range(1, 6)), local
    assert (local.hour, local.minute) >= (9, 55) and (local.hour, local.minute) <= (16, 5), local


def assert_threaded(sent: Received, parent: str, chain: list[str]) -> None:
    m = sent.message
    assert str(m["From"]).endswith(f"<{REP}>")
    assert str(m["To"]).endswith(f"<{BUYER}>")
    assert str(m["Subject"]).startswith("Re: PI 2026-118")
    assert str(m["In-Reply-To"]).strip() == f"<{parent}>"
    assert str(m["References"]).split() == [f"<{c}>" for c in chain]
    # It must look like the rep wrote it: no machine-mail markers.
    assert m.get("X-Followupd") is None and m.get("Auto-Submitted") is None
    assert m.get_content_type() == "multipart/alternative"
    text = m.get_body(preferencelist=("plain",))
    assert text is not None and "Dear Hans Becker" in text.get_content()


async def full_loop(w: World) -> None:
    """Enroll → review → approve → send → second step → buyer reply → nothing more."""
    pi = await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
    assert [str(r.message["Subject"]) for r in w.notices("Tracking:")] == [
        "Tracking: PI 2026-118 deep groove ball bearings"
    ]
    assert await thread_states(w) == ["active"]
    enrolled_at = w.clock.now()

    await w.advance_until(lambda: len(w.reviews()) == 1)
    review = w.reviews()[0]
    assert "FU-" in str(review.message["Subject"])
    assert followups(w) == []  # nothing reaches the buyer before the rep approves
    assert await thread_states(w) == ["drafted"]
    await w.rep_replies(review, "Approve")
    assert len(w.notices("Approved:")) == 1
    assert await thread_states(w) == ["approved"]

    await w.advance_until(lambda: len(followups(w)) == 1)
    first = followups(w)[0]
    assert_threaded(first, pi, [pi])
    assert_good_slot(first, enrolled_at)
    first_id = str(first.message["Message-ID"]).strip("<>")
    assert await thread_states(w) == ["active"]

    await w.advance_until(lambda: len(w.reviews()) == 2)
    await w.rep_replies(w.reviews()[1], "ok")
    await w.advance_until(lambda: len(followups(w)) == 2)
    second = followups(w)[1]
    assert_threaded(second, first_id, [pi, first_id])
    assert_good_slot(second, parsedate_to_datetime(str(first.message["Date"])))

    await w.buyer_replies(second, "Thanks, please revise the PI for 5,000 pcs.")
    assert await thread_states(w) == ["replied"]
    assert len(w.notices("Buyer replied:")) == 1
    # Nothing is armed any more, and however far time goes, the buyer gets nothing else.
    assert w.daemon is not None and w.daemon.next_due() is None
    w.clock.jump_to(w.clock.now() + (w.clock.now() - enrolled_at) * 10)
    await w.settle()
    assert len(followups(w)) == 2
    assert ("3", "planned") not in await steps(w)
    assert (await steps(w))[-1][1] == "cancelled"


def unseen_flags(w: World) -> list[tuple[bytes, ...]]:
    """Flags of every message in the rep's INBOX."""
    client = w.imap.client(w.imap_user)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        return [tuple(v[b"FLAGS"]) for v in client.fetch(uids, ["FLAGS"]).values()]
    finally:
        client.logout()


async def one_followup_sent(w: World) -> str:
    """Enroll, approve and send the first follow-up; return its Message-ID."""
    await w.rep_sends_pi(subject="PI 2026-118 deep groove ball bearings")
    await w.advance_until(lambda: len(w.reviews()) == 1)
    await w.rep_replies(w.reviews()[0], "approve")
    await w.advance_until(lambda: len(followups(w)) == 1)
    return str(followups(w)[0].message["Message-ID"]).strip("<>")


async def deliver_text(w: World, raw: str) -> None:
    """Put a hand-written message (LF line ends) into INBOX and let the daemon see it."""
    w.imap.append(w.imap_user, raw.replace("\n", "\r\n").encode())
    await w.settle()
