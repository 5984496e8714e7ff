"""The SMTP server misbehaves at the worst moments; the buyer still gets each follow-up once.

The embedded server (followupd.demo.servers) can drop the connection after the message
without answering the final "." (having delivered it or not), answer 4xx or 5xx, or throttle.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from servers.tcp_proxy import TcpProxy
from sqlalchemy import select

from followupd.core.outbound import RETRY_DELAY
from followupd.demo.servers import EmbeddedImap, Received
from followupd.demo.world import BUYER, IMAP_PASSWORD, IMAP_USER, REP, World
from followupd.model import Event, Mailbox, Outbox, Step

pytestmark = pytest.mark.pymap

DROPS = int(os.environ.get("FOLLOWUPD_DROP_RUNS", "20"))
AUTO = {"approval_policy": "auto"}


def _followups(w: World, buyer: str) -> list[Received]:
    return [r for r in w.mails_to(buyer) if r.message.get("In-Reply-To")]


def _copies(w: World, buyers: list[str]) -> collections.Counter[str]:
    return collections.Counter(
        str(r.message["Message-ID"]) for b in buyers for r in _followups(w, b)
    )


async def _rows(w: World, model: type) -> list:  # type: ignore[type-arg]
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(model))).all())


async def _events(w: World, kind: str) -> list[Event]:
    return [e for e in await _rows(w, Event) if e.kind == kind]


async def _enroll(w: World, count: int) -> list[str]:
    buyers = []
    for i in range(count):
        buyer = BUYER if i == 0 else f"buyer{i}@buyer{i}.test"
        await w.rep_sends_pi(
            subject=f"PI 2026-{300 + i} bearings", buyer=buyer, buyer_name=f"B {i}"
        )
        buyers.append(buyer)
    return buyers


async def test_a_drop_after_the_message_never_duplicates_it(tmp_path: Path) -> None:
    # The provider files what it accepts in Sent, so a lost answer is settled by looking.
    async with World(tmp_path, mailbox_extra=AUTO, provider_saves_sent=True) as w:
        buyers = await _enroll(w, DROPS)
        w.smtp.faults = ["drop" if i % 2 else "deliver-drop" for i in range(DROPS)]
        await w.advance_until(lambda: all(_followups(w, b) for b in buyers), limit=40 * DROPS)
        copies = _copies(w, buyers)
        assert len(copies) >= DROPS and set(copies.values()) == {1}, copies
        assert w.smtp.faults == []
        assert not w.notices("Check:")
        assert all(o.state in ("recorded", "planned") for o in await _rows(w, Outbox))


async def test_without_a_provider_copy_a_lost_answer_is_asked_not_resent(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra=AUTO) as w:
        buyers = await _enroll(w, 2)
        w.smtp.faults = ["deliver-drop", "drop"]
        await w.advance_until(lambda: len(w.notices("Check:")) == 2, limit=60)
        # Neither is sent again: the first reached its buyer once, the second not at all,
        # and the rep was asked to look, once each.
        copies = _copies(w, buyers)
        assert set(copies.values()) == {1} and len(copies) == 1
        steps = [s for s in await _rows(w, Step) if s.state == "unknown"]
        assert len(steps) == 2
        before = len(w.mails_to(REP))
        await w.advance()
        assert _copies(w, buyers) == copies
        assert len(w.notices("Check:")) == 2 and len(w.mails_to(REP)) >= before


async def test_a_storm_of_4xx_is_retried_with_growing_pauses_then_sent_once(
    tmp_path: Path,
) -> None:
    async with World(tmp_path, mailbox_extra=AUTO) as w:
        await _enroll(w, 1)
        w.smtp.faults = ["451 4.3.0 Temporary server error, try again later"] * 4
        await w.advance_until(lambda: bool(_followups(w, BUYER)), limit=80)
        assert len(_followups(w, BUYER)) == 1
        retries = await _events(w, "send-retry")
        assert len(retries) == 4
        gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(retries)]
        assert all(g >= 5 * 60 for g in gaps), gaps
        (row,) = await _rows(w, Outbox)
        assert row.state == "recorded" and row.attempts == 5


async def test_4xx_forever_gives_up_within_the_slack_and_tells_the_rep_once(
    tmp_path: Path,
) -> None:
    async with World(tmp_path, mailbox_extra=AUTO) as w:
        await _enroll(w, 1)
        w.smtp.faults = ["452 4.2.2 Mailbox temporarily over quota"] * 200
        await w.advance_until(lambda: bool(w.notices("Send failed:")), limit=200)
        assert _followups(w, BUYER) == []
        (row,) = await _rows(w, Outbox)
        assert row.state == "failed" and "gave up" in (row.reason or "")
        assert 2 <= row.attempts <= 20  # backoff, not a storm
        for _ in range(3):
            await w.advance()
        assert len(w.notices("Send failed:")) == 1


async def test_a_5xx_fails_the_step_once_without_retry(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra=AUTO) as w:
        await _enroll(w, 1)
        w.smtp.faults = ["550 5.1.1 <hans@buyer-corp.test>: Recipient address rejected"] * 3
        await w.advance_until(lambda: bool(w.notices("Send failed:")), limit=60)
        assert len(w.smtp.faults) == 2  # one transaction only
        (row,) = await _rows(w, Outbox)
        assert row.state == "failed" and "550" in (row.reason or "")
        assert [s.state for s in await _rows(w, Step) if s.number == 1] == ["failed"]
        assert len(w.notices("Send failed:")) == 1
        assert _followups(w, BUYER) == []


async def test_a_throttling_reply_holds_back_the_whole_mailbox(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra=AUTO) as w:
        buyers = await _enroll(w, 3)
        throttle = "451 4.7.1 Sending too frequently, please try later (Aliyun)"
        w.smtp.faults = [throttle]
        await w.advance_until(lambda: not w.smtp.faults, limit=60)
        (mailbox,) = await _rows(w, Mailbox)
        assert mailbox.throttle_strikes == 1 and mailbox.send_hold_until is not None
        hold = mailbox.send_hold_until
        await w.advance_until(lambda: all(_followups(w, b) for b in buyers), limit=120)
        copies = _copies(w, buyers)
        assert set(copies.values()) == {1}
        # Nothing left the mailbox while it was held back.
        dates = [
            parsedate_to_datetime(str(r.message["Date"])) for b in buyers for r in _followups(w, b)
        ]
        throttled_at = (await _events(w, "send-retry"))[0].at
        assert not [d for d in dates if throttled_at < d < hold]
        (mailbox,) = await _rows(w, Mailbox)
        assert mailbox.throttle_strikes == 0  # an accepted send ends the streak


async def test_no_send_while_the_mailbox_cannot_be_looked_at(tmp_path: Path) -> None:
    # The IMAP server is unreachable at the slot: without the look for a reply there is no
    # send. The follow-up moves to a later allowed slot and goes once the server is back.
    imap = EmbeddedImap({IMAP_USER: IMAP_PASSWORD})
    with TcpProxy(imap.port) as proxy:
        async with World(tmp_path, imap=imap, imap_port=proxy.port, mailbox_extra=AUTO) as w:
            await _enroll(w, 1)
            assert w.daemon is not None and w.daemon.rt is not None
            scheduler = w.daemon.rt.scheduler

            def send_jobs() -> dict[str, object]:
                return {n: at for n, at in scheduler.armed().items() if n.startswith("send:")}

            await w.advance_until(lambda: bool(send_jobs()), limit=40)
            ((name, slot),) = send_jobs().items()
            proxy.refuse(True)
            proxy.cut()
            w.clock.jump_to(slot)  # type: ignore[arg-type]
            for _ in range(1800):  # bounded: the look gives up after RECHECK_TIMEOUT
                rows = await _rows(w, Outbox)
                if rows and rows[0].attempts == 1 and rows[0].state == "planned":
                    break
                await asyncio.sleep(0.05)
            (row,) = await _rows(w, Outbox)
            assert row.attempts == 1 and row.state == "planned"
            assert _followups(w, BUYER) == []
            (step,) = [s for s in await _rows(w, Step) if s.state == "sending"]
            later = step.send_at
            assert later is not None and later >= slot + RETRY_DELAY  # type: ignore[operator]
            assert send_jobs()[name] == later
            proxy.refuse(False)
            await w.advance_until(lambda: bool(_followups(w, BUYER)), limit=40)
            await w.settle()
            assert len(_followups(w, BUYER)) == 1
            (row,) = await _rows(w, Outbox)
            assert row.state == "recorded" and row.attempts == 2
            assert not w.notices("Send failed:") and not w.notices("Check:")
