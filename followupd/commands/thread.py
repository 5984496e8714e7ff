"""`followupd thread set ID key=value ...`: correct a thread's trade context from the shell.

The same corrections as a `set <key> <value>` reply to a review mail, checked the same way:
one bad value changes nothing. A step waiting for the value is planned again; a pending
draft made with the old facts is void and is drafted again.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from followupd.clock import Clock, SystemClock
from followupd.config import LoadedConfig
from followupd.core.threads import audit
from followupd.core.tradectx import EXTRA_KEYS, parse_pairs, replan, set_values
from followupd.db.engine import Database
from followupd.db.migrate import upgrade
from followupd.errors import CommandError
from followupd.model import Thread
from followupd.sequence.cadence import load_cadences
from followupd.trade import SETTABLE

EXIT_OK, EXIT_ERROR = 0, 1


async def set_thread(
    cfg: LoadedConfig, thread_id: int, items: Sequence[str], *, clock: Clock | None = None
) -> int:
    """Apply ``key=value`` items to thread ``thread_id``; print what changed."""
    try:
        pairs = parse_pairs(items)
    except CommandError as exc:
        print(f"followupd: {exc}", file=sys.stderr)
        return EXIT_ERROR
    cadences = load_cadences(cfg.settings.daemon.cadence_file)
    now = (clock or SystemClock()).now()
    db = Database(cfg.settings.daemon.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            thread = await session.get(Thread, thread_id)
            if thread is None:
                print(f"followupd: no thread {thread_id} (see followupd threads)", file=sys.stderr)
                return EXIT_ERROR
            try:
                changed = set_values(thread, pairs, today=now)
            except CommandError as exc:
                keys = ", ".join([*SETTABLE, *EXTRA_KEYS])
                print(f"followupd: {exc}\nNothing was changed. Keys: {keys}", file=sys.stderr)
                return EXIT_ERROR
            audit(session, at=now, kind="corrected", thread=thread, cause="; ".join(changed))
            steps = await replan(
                session,
                thread,
                cadences[thread.cadence],
                at=now,
                default_tz=ZoneInfo(cfg.settings.daemon.default_timezone),
            )
        for line in changed:
            print(line)
        for step in steps:
            print(f"step {step.number} ({step.template}) due {step.due_at:%Y-%m-%d %H:%M} UTC")
        if steps:
            print("A running daemon picks the new timing up at its next reload (SIGHUP).")
        return EXIT_OK
    finally:
        await db.close()
