"""Nothing goes out after the buyer's reply reached the mailbox.

The mailbox is watched without IDLE and with a long poll, so only the fresh look right before
MAIL FROM can see a reply that lands one (simulated) second before the slot. Fifty threads,
each answered just before its follow-up's slot: not one follow-up is sent.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from followupd.demo.world import BUYER_TZ, World
from followupd.model import Step, Thread

pytestmark = pytest.mark.pymap

RUNS = int(os.environ.get("FOLLOWUPD_RACE_RUNS", "50"))


def _reply(buyer: str, pi_id: str, subject: str, at: object) -> bytes:
    msg = EmailMessage(policy=default_policy)
    msg["From"] = f"Buyer <{buyer}>"
    msg["To"] = "Anna <anna@seller.test>"
    msg["Subject"] = f"RE: {subject}"
    msg["Date"] = format_datetime(at)  # type: ignore[arg-type]
    msg["Message-ID"] = f"<{secrets.token_hex(8)}@buyer.test>"
    msg["In-Reply-To"] = f"<{pi_id}>"
    msg["References"] = f"<{pi_id}>"
    msg.set_content("Thanks, we will confirm the order next week.\n")
    return msg.as_bytes(policy=default_policy.clone(linesep="\r\n"))


async def _thread_of_step(w: World, step_id: int) -> str:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
        assert thread is not None
        return thread.root_message_id


async def _thread_states(w: World) -> list[str]:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        return list((await session.scalars(select(Thread.state))).all())


async def test_a_reply_a_second_before_the_slot_stops_every_send(tmp_path: Path) -> None:
    await run_race(tmp_path, RUNS, {})


async def run_race(tmp_path: Path, runs: int, store: dict[str, Any]) -> None:
    imap = {"idle": False, "poll_seconds": 600.0}
    extra = {"approval_policy": "auto"}
    # Real time for the last second: the reply lands a true second before the slot.
    world = World(
        tmp_path, imap_idle=False, imap_extra=imap, mailbox_extra=extra, speed=1.0, **store
    )
    async with world as w:
        pis: dict[str, tuple[str, str]] = {}
        for i in range(runs):
            buyer, subject = f"buyer{i}@buyer{i}.test", f"PI 2026-{200 + i} bearings"
            pis[buyer] = (
                await w.rep_sends_pi(subject=subject, buyer=buyer, buyer_name=f"B {i}"),
                subject,
            )
        answered = 0
        for _ in range(runs * 8):  # bounded: each thread has a few jobs
            assert w.daemon is not None and w.daemon.rt is not None
            armed = w.daemon.rt.scheduler.armed()
            if not armed:
                break
            job, due = min(armed.items(), key=lambda item: item[1])
            if not job.startswith("send:"):
                await w.advance()
                continue
            # The next thing to happen is a send: the buyer answers one second before it.
            root = await _thread_of_step(w, int(job.split(":")[1]))
            buyer = next(b for b, (mid, _s) in pis.items() if mid == root)
            mid, subject = pis[buyer]
            w.clock.jump_to(due - timedelta(seconds=1))
            at = w.clock.now().astimezone(BUYER_TZ)
            await asyncio.to_thread(w.imap.append, w.imap_user, _reply(buyer, mid, subject, at))
            answered += 1
            # No settle() until the job has run: it would look at the mailbox itself, and only
            # the daemon's own look right before MAIL FROM may find the reply.
            scheduler = w.daemon.rt.scheduler
            for _ in range(400):  # bounded: 20 s
                await asyncio.sleep(0.05)
                if job not in scheduler.armed() and not scheduler.busy and w.clock.now() > due:
                    break
            await w.settle()
        assert answered == runs
        sent = [r for b in pis for r in w.mails_to(b) if r.message.get("In-Reply-To")]
        assert sent == []
        assert set(await _thread_states(w)) == {"replied"}
