"""One daemon per mailbox: a second one does not start, a killed one does not block the next."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from followupd.daemon import Daemon
from followupd.db.engine import Database
from followupd.db.hold import HeldElsewhere, hold_mailboxes, lock_key
from followupd.demo.world import World

HOLDER = """
import asyncio, sys
from followupd.db.engine import Database
from followupd.db.hold import hold_mailboxes

async def main() -> None:
    db = Database(sys.argv[1])
    await hold_mailboxes(db, ["anna"])
    print("held", flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("anna") == lock_key("anna")
    assert lock_key("anna") != lock_key("bob")
    assert -(2**63) <= lock_key("anna") < 2**63


async def test_a_second_hold_on_a_mailbox_is_refused_until_the_first_ends(db_url: str) -> None:
    first_db, second_db = Database(db_url), Database(db_url)
    try:
        first = await hold_mailboxes(first_db, ["anna", "bob"])
        with pytest.raises(HeldElsewhere, match="another followupd daemon"):
            await hold_mailboxes(second_db, ["bob"])
        await first.release()
        second = await hold_mailboxes(second_db, ["anna", "bob"])
        await second.release()
        await second.release()  # idempotent
    finally:
        await first_db.close()
        await second_db.close()


async def test_on_postgres_other_mailboxes_stay_free(pg_url: str) -> None:
    first_db, second_db = Database(pg_url), Database(pg_url)
    try:
        first = await hold_mailboxes(first_db, ["anna"])
        other = await hold_mailboxes(second_db, ["bob"])
        # A refused hold gives back what it took before the refusal.
        with pytest.raises(HeldElsewhere, match="'anna'"):
            await hold_mailboxes(second_db, ["carl", "anna"])
        await other.release()
        again = await hold_mailboxes(second_db, ["carl"])
        await again.release()
        await first.release()
    finally:
        await first_db.close()
        await second_db.close()


async def test_a_killed_holder_does_not_block_its_successor(db_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, db_url, stdout=asyncio.subprocess.PIPE
    )
    db = Database(db_url)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.strip() == b"held"
        with pytest.raises(HeldElsewhere):
            await hold_mailboxes(db, ["anna"])
        proc.kill()  # SIGKILL: no clean-up runs in the holder
        await proc.wait()
        hold = None
        for _ in range(100):  # bounded: the server notices the closed connection quickly
            try:
                hold = await hold_mailboxes(db, ["anna"])
                break
            except HeldElsewhere:
                await asyncio.sleep(0.1)
        assert hold is not None
        await hold.release()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await db.close()


@pytest.mark.pymap
async def test_a_second_daemon_on_the_same_mailbox_does_not_start(
    tmp_path: Path, db_url: str
) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        assert w.config is not None
        second = Daemon(w.config, w.clock)
        with pytest.raises(HeldElsewhere):
            await second.start()
        assert second.rt is None
        # The first one goes on, and a daemon started after it stopped runs.
        await w.stop_daemon()
        await w.start_daemon()
