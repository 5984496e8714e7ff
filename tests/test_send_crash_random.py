"""A crash schedule: the daemon SIGKILLed at random moments, from its start on, while it
enrolls threads, sees buyer replies, plans, drafts and sends; then started once more.

Where the fault matrix (test_send_crash.py) stops the daemon at named points of the send
path, this one kills it wherever it happens to be: in a migration, the watcher's first pass,
a database write, the middle of an SMTP transaction. ``FOLLOWUPD_CRASH_REPEATS`` sets the
number of kills (CI: 20); ``FOLLOWUPD_CRASH_SEED`` repeats a failing schedule (the seed is in
every failure message).
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import secrets
from pathlib import Path

import pytest
from servers.children import Children, followups_to
from watch_scenarios import buyer_reply

from followupd.demo.world import REP, World

pytestmark = pytest.mark.pymap

KILLS = int(os.environ.get("FOLLOWUPD_CRASH_REPEATS", "2"))
SEED = int(os.environ.get("FOLLOWUPD_CRASH_SEED", str(secrets.randbelow(10**9))))


async def test_kills_at_random_moments_never_duplicate_lose_or_follow_a_reply(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    why = f"FOLLOWUPD_CRASH_SEED={SEED}"
    async with World(
        tmp_path, mailbox_extra={"approval_policy": "auto"}, provider_saves_sent=True
    ) as w:
        # Everything is left to the children: the PIs and two answers wait in the mailbox.
        await w.stop_daemon()
        buyers = [f"buyer{i}@buyer{i}.test" for i in range(6)]
        roots = {}
        for i, buyer in enumerate(buyers):
            roots[buyer] = await w.rep_sends_pi(
                subject=f"PI 2026-{700 + i} bearings", buyer=buyer, buyer_name=f"B {i}"
            )
        answered, waiting = buyers[:2], buyers[2:]
        for buyer in answered:
            reply = buyer_reply(w, roots[buyer], buyer=buyer, buyer_name="Buyer")
            await asyncio.to_thread(w.imap.append, w.imap_user, reply)
        children = Children(w, tmp_path)
        for _ in range(KILLS):
            await children.kill_after(rng.uniform(0.3, 6.0))
        await children.run_until(lambda: all(followups_to(w, b) for b in waiting))
        copies = collections.Counter(
            str(r.message["Message-ID"]) for b in buyers for r in followups_to(w, b)
        )
        assert set(copies.values()) == {1}, (why, copies)
        assert not [b for b in answered if followups_to(w, b)], why
        checks = [r for r in w.mails_to(REP) if str(r.message["Subject"]).startswith("Check:")]
        assert not checks, why
