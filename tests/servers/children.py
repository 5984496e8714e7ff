"""Daemons in child processes, for the crash tests: started against the parent's mail
servers and database, killed with SIGKILL at a fault point or at any moment.

Each child runs tests/servers/daemon_child.py on a simulated clock that continues where the
killed one stopped (a clock file).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from followupd import faults
from followupd.demo.servers import Received
from followupd.demo.world import World

CHILD = Path(__file__).parent / "daemon_child.py"


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
        env["PYTHONPATH"] = os.pathsep.join([str(CHILD.parent), env.get("PYTHONPATH", "")])
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

    async def kill_after(self, seconds: float) -> None:
        """Start a daemon and SIGKILL it ``seconds`` later, wherever it is."""
        proc = await self.start()
        try:
            await asyncio.wait_for(proc.wait(), seconds)
        except TimeoutError:
            proc.kill()
            await proc.wait()

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


def followups_to(w: World, buyer: str) -> list[Received]:
    return [r for r in w.mails_to(buyer) if r.message.get("In-Reply-To")]
