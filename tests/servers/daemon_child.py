"""A followupd daemon in a process of its own, for the crash tests.

Run as ``python daemon_child.py SPEC.json``. The spec names the mail servers of the test (in
the parent process), the database, the installation secret and a clock file: the simulated
clock starts at the instant written there and is written back as it moves, so a daemon
started after a SIGKILL goes on from about where the killed one stopped. The daemon jumps
from job to job like the in-process test world; it runs until killed, stopped with SIGTERM,
or ``seconds`` have passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from followupd.demo.servers import LoopbackImap
from followupd.demo.world import World


def _save_clock(path: Path, instant: datetime) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(instant.isoformat())
    os.replace(tmp, path)


async def run(spec: dict[str, object], start: datetime) -> None:
    clock_file = Path(str(spec["clock_file"]))
    user, password = str(spec["imap_user"]), str(spec["imap_password"])
    w = World(
        Path(str(spec["workdir"])),
        db_url=str(spec["db_url"]),
        imap=LoopbackImap(int(str(spec["imap_port"])), {user: password}),
        imap_user=user,
        imap_password=password,
        start=start,
        mailbox_extra=dict(spec["mailbox_extra"]),  # type: ignore[call-overload]
        smtp_extra={"port": int(str(spec["smtp_port"]))},
        provider_saves_sent=bool(spec["saves_sent"]),
    )
    w.secret = str(spec["secret"])
    w.config = w._config()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await w.start_daemon()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + float(str(spec["seconds"]))
    try:
        while not stop.is_set() and loop.time() < deadline:
            _save_clock(clock_file, w.clock.now())
            if await w.advance() is None:
                await asyncio.sleep(0.1)
            _save_clock(clock_file, w.clock.now())
    finally:
        await w.stop_daemon()


if __name__ == "__main__":
    SPEC = json.loads(Path(sys.argv[1]).read_text())
    START = datetime.fromisoformat(Path(SPEC["clock_file"]).read_text())
    asyncio.run(run(SPEC, START))
