"""`followupd thread set|paid ID ...`: change a tracked thread from the shell.

``set key=value ...`` makes the same corrections as a `set <key> <value>` reply to a
followupd mail, checked the same way: one bad value changes nothing. A step waiting for the
value is planned again; a pending draft made with the old facts is void and is drafted again.

``paid`` does what a `paid` reply does: the thread moves to the after-payment cadence.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.clock import Clock, SystemClock
from followupd.config import LoadedConfig
from followupd.core.contacts import CONTACT_KEYS, parse_contact_values, set_contact
from followupd.core.threads import audit
from followupd.core.tradectx import EXTRA_KEYS, parse_pairs, replan, set_values
from followupd.core.verbs import AFTER_PAYMENT, mark_paid
from followupd.db.engine import Database
from followupd.db.migrate import upgrade
from followupd.errors import CommandError
from followupd.model import Contact, Step, Thread
from followupd.sequence.cadence import load_cadences
from followupd.trade import SETTABLE

EXIT_OK, EXIT_ERROR = 0, 1

# A change of one thread: the lines to print on success. It raises CommandError, having
# changed nothing, when it cannot apply.
Change = Callable[[AsyncSession, Thread], Awaitable[list[str]]]


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

    async def change(session: AsyncSession, thread: Thread) -> list[str]:
        deal = [(k, v) for k, v in pairs if k.strip().lower() not in CONTACT_KEYS]
        try:
            buyer = parse_contact_values(pairs)
            changed = set_values(thread, deal, today=now) if deal else []
        except CommandError as exc:
            keys = ", ".join([*SETTABLE, *EXTRA_KEYS, *CONTACT_KEYS])
            raise CommandError(f"{exc}\nNothing was changed. Keys: {keys}") from exc
        contact = await session.get(Contact, thread.contact_id)
        if contact is not None and buyer:
            changed += await set_contact(
                session, contact, buyer, default_zone=_zone(cfg).key, at=now
            )
            if {"timezone", "country", "hours"} & buyer.keys():
                changed.append(
                    "approved follow-ups to this buyer are checked again at their send time "
                    "and moved forward if it no longer suits them"
                )
        audit(session, at=now, kind="corrected", thread=thread, cause="; ".join(changed))
        steps = (
            await replan(session, thread, cadences[thread.cadence], at=now, default_tz=_zone(cfg))
            if deal
            else []
        )
        return changed + _timing(steps)

    return await _change_thread(cfg, thread_id, change)


async def paid_thread(
    cfg: LoadedConfig, thread_id: int, *, on: date | None = None, clock: Clock | None = None
) -> int:
    """Record that the buyer of thread ``thread_id`` paid; start the after-payment cadence.

    ``on`` is the day the money arrived (default: today); the first after-payment step counts
    from now, since that is when the buyer can be told.
    """
    cadences = load_cadences(cfg.settings.daemon.cadence_file)
    now = (clock or SystemClock()).now()
    paid_at = now if on is None or on == now.date() else datetime.combine(on, time(12), UTC)
    if paid_at > now:
        print(f"followupd: the payment date {on} is in the future", file=sys.stderr)
        return EXIT_ERROR

    async def change(session: AsyncSession, thread: Thread) -> list[str]:
        try:
            _cancelled, step = await mark_paid(
                session, thread, cadences, at=now, paid_at=paid_at, default_tz=_zone(cfg)
            )
        except CommandError as exc:
            raise CommandError(f"{exc}; nothing changed") from exc
        done = f"thread {thread_id}: paid {paid_at:%Y-%m-%d}, cadence {AFTER_PAYMENT}"
        return [done, *_timing([step] if step is not None else [])]

    return await _change_thread(cfg, thread_id, change)


async def _change_thread(cfg: LoadedConfig, thread_id: int, change: Change) -> int:
    """Run ``change`` on thread ``thread_id`` in one transaction; print its lines after it."""
    db = Database(cfg.settings.daemon.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            thread = await session.get(Thread, thread_id)
            if thread is None:
                print(f"followupd: no thread {thread_id} (see followupd threads)", file=sys.stderr)
                return EXIT_ERROR
            try:
                lines = await change(session, thread)
            except CommandError as exc:
                print(f"followupd: {exc}", file=sys.stderr)
                return EXIT_ERROR
    finally:
        await db.close()
    for line in lines:
        print(line)
    return EXIT_OK


def _timing(steps: Sequence[Step]) -> list[str]:
    lines = [f"step {s.number} ({s.template}) due {s.due_at:%Y-%m-%d %H:%M} UTC" for s in steps]
    if steps:
        lines.append("A running daemon picks the new timing up at its next reload (SIGHUP).")
    return lines


def _zone(cfg: LoadedConfig) -> ZoneInfo:
    return ZoneInfo(cfg.settings.daemon.default_timezone)
