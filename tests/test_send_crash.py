"""The fault matrix: the daemon killed (SIGKILL, a real process) at every state of the send
path, again and again, then started once more. Every follow-up reaches the buyer exactly once.

The parent process runs the mail servers and counts what the buyers receive; each daemon is a
child process (tests/servers/daemon_child.py) on a simulated clock that continues where the
killed one stopped. ``FOLLOWUPD_CRASH_REPEATS`` sets the kills per state (CI: 20).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from followupd import faults
from followupd.demo.world import BUYER, REP, World

pytestmark = pytest.mark.pymap

REPEATS = int(os.environ.get("FOLLOWUPD_CRASH_REPEATS", "2"))
CHILD = Path(__file__).parent / "servers" / "daemon_child.py"


async def _until(done: Callable[[], bool], seconds: float) -> bool:
    for _ in range(int(seconds / 0.05)):  # bounded
        if done():
            return True
        await asyncio.sleep(0.05)
    return done()


class Children:
    """Starts daemons in child processes against the world's servers and database."""

    def __init__(self, w: World, tmp: Path) -> None:
        self.faults = tmp / "faults"
        self.faults.mkdir()
        clock = tmp / "clock.txt"
        clock.write_text(w.clock.now().isoformat())
        self.spec = tmp / "child.json"
        self.spec.write_text(
            json.dumps(
                {
                    "workdir": str(tmp),
                    "db_url": w.db_url,
                    "imap_port": w.imap.port,
                    "imap_user": w.imap_user,
                    "imap_password": w.imap_password,
                    "smtp_port": w.smtp.port,
                    "saves_sent": w.provider_saves_sent,
                    "mailbox_extra": w.mailbox_extra,
                    "secret": w.secret,
                    "clock_file": str(clock),
                    "seconds": 240,
                }
            )
        )

    async def start(self) -> asyncio.subprocess.Process:
        env = {**os.environ, faults.ENV: str(self.faults)}
        env["PYTHONPATH"] = os.pathsep.join([str(CHILD.parent.parent), env.get("PYTHONPATH", "")])
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(CHILD),
            str(self.spec),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def kill_at(self, point: str) -> None:
        """Start a daemon, wait until it reaches ``point``, SIGKILL it."""
        (self.faults / f"{point}.armed").touch()
        proc = await self.start()
        reached = self.faults / f"{point}.reached"
        await _until(lambda: reached.exists() or proc.returncode is not None, 120)
        proc.kill()
        await proc.wait()
        assert reached.exists(), f"the daemon never reached {point}"
        reached.unlink()

    async def run_until(self, done: Callable[[], bool]) -> None:
        """Start a daemon without faults, let it work until ``done()``, then stop it."""
        proc = await self.start()
        try:
            assert await _until(done, 150), "the follow-ups did not all go out"
            # A little longer: a duplicate would show up now.
            await asyncio.sleep(2)
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 40)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


def _copies(w: World, buyers: list[str]) -> collections.Counter[str]:
    return collections.Counter(
        str(r.message["Message-ID"]) for b in buyers for r in followups_to(w, b)
    )


def followups_to(w: World, buyer: str) -> list:  # type: ignore[type-arg]
    return [r for r in w.mails_to(buyer) if r.message.get("In-Reply-To")]


async def _enroll(w: World) -> list[str]:
    """One thread more than there are kills: a kill after the server accepted a follow-up
    uses that send up, and each kill must find a send still to come."""
    buyers = [BUYER, *(f"buyer{i}@buyer{i}.test" for i in range(1, REPEATS + 1))]
    for i, buyer in enumerate(buyers):
        await w.rep_sends_pi(
            subject=f"PI 2026-{118 + i} bearings", buyer=buyer, buyer_name=f"B {i}"
        )
    await w.stop_daemon()
    return buyers


# (point, whether the provider files sent mail in Sent itself). "in-doubt" needs a server
# that drops the connection after the final "."; only where the provider keeps a copy can
# such a send be settled without asking the rep.
MATRIX = [(p, True) for p in faults.POINTS if p != "appended"] + [
    ("appended", False),
    ("accepted", False),
    ("transmitting", False),
]


@pytest.mark.parametrize(
    ("point", "saves"), MATRIX, ids=[f"{p}-{'saves' if s else 'append'}" for p, s in MATRIX]
)
async def test_a_kill_at_each_state_still_sends_each_followup_once(
    tmp_path: Path, point: str, saves: bool
) -> None:
    extra = {"approval_policy": "auto"}
    async with World(tmp_path, mailbox_extra=extra, provider_saves_sent=saves) as w:
        buyers = await _enroll(w)
        if point == "in-doubt":
            # Each kill finds a send whose answer was lost: half of them delivered before
            # the drop (found in Sent → recorded), half not (absent → sent again).
            w.smtp.faults = ["deliver-drop" if i % 2 else "drop" for i in range(REPEATS)]
        children = Children(w, tmp_path)
        for _ in range(REPEATS):
            await children.kill_at(point)
        await children.run_until(lambda: all(followups_to(w, b) for b in buyers))
        copies = _copies(w, buyers)
        assert copies and set(copies.values()) == {1}, copies
        assert not [r for r in w.mails_to(REP) if str(r.message["Subject"]).startswith("Check:")]
        assert w.smtp.faults == [], "a planned drop never happened"
        if not saves:
            # Filed in Sent by followupd, once per follow-up.
            sent = w.imap.client(w.imap_user)
            try:
                sent.select_folder("Sent", readonly=True)
                filed = collections.Counter(
                    mid
                    for mid in copies
                    for _ in sent.search(["HEADER", "Message-ID", mid.strip("<>")])
                )
            finally:
                sent.logout()
            assert set(filed.values()) == {1}, filed
