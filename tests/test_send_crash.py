"""The fault matrix: the daemon killed (SIGKILL, a real process) at every state of the send
path, again and again, then started once more. Every follow-up reaches the buyer exactly once.

The parent process runs the mail servers and counts what the buyers receive; each daemon is a
child process (tests/servers/daemon_child.py) on a simulated clock that continues where the
killed one stopped. ``FOLLOWUPD_CRASH_REPEATS`` sets the kills per state (CI: 20).
"""

from __future__ import annotations

import collections
import os
from pathlib import Path

import pytest
from servers.children import Children, followups_to

from followupd import faults
from followupd.demo.world import BUYER, REP, World

pytestmark = pytest.mark.pymap

REPEATS = int(os.environ.get("FOLLOWUPD_CRASH_REPEATS", "2"))


def _copies(w: World, buyers: list[str]) -> collections.Counter[str]:
    return collections.Counter(
        str(r.message["Message-ID"]) for b in buyers for r in followups_to(w, b)
    )


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
