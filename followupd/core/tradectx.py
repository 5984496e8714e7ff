"""A thread's trade context in the store, and the rep's corrections of it (`set key value`).

The pure reading and parsing live in :mod:`followupd.trade`; this module moves values between
a :class:`TradeContext` and the thread's columns, and re-plans what depends on them: a step
timed by the validity date moves with it, and a pending draft is made again with the new
facts (its review mail is void).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.core.threads import audit, plan_next, transition
from followupd.errors import CommandError
from followupd.model import Draft, Step, Thread
from followupd.sequence.cadence import Cadence
from followupd.sequence.states import ThreadState
from followupd.trade import TradeContext, apply, parse_set

# Keys the rep may set that are not part of the extracted trade context: plain short text.
EXTRA_KEYS: dict[str, tuple[str, int, str]] = {
    "tracking": ("tracking_number", 64, "the parcel's tracking number"),
    "carrier": ("carrier", 64, "the carrier, e.g. DHL"),
    "event": ("event", 200, "the trade show, e.g. Canton Fair 2026"),
}
_COLUMNS = (
    "document_type",
    "document_ref",
    "amount",
    "currency",
    "validity",
    "incoterm",
    "payment_terms",
    "shipment_date",
    "lead_time",
    "tier",
    "notes",
)


def context_of(thread: Thread) -> TradeContext:
    """The trade context stored on ``thread``."""
    products = tuple(p for p in (thread.products or "").split("\n") if p.strip())
    return TradeContext(
        **{name: getattr(thread, name) for name in _COLUMNS},
        products=products,
    )


def store(thread: Thread, ctx: TradeContext) -> None:
    """Write ``ctx`` into the thread's columns."""
    for name in _COLUMNS:
        setattr(thread, name, getattr(ctx, name))
    # One per line: product names may well contain commas ("6204-2RS, 20x47x14 mm").
    thread.products = "\n".join(ctx.products) if ctx.products else None


def parse_pairs(text: Sequence[str]) -> list[tuple[str, str]]:
    """``key=value`` arguments (CLI) as pairs; a bad one is a CommandError."""
    pairs = []
    for item in text:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"expected key=value, got {item!r}")
        pairs.append((key.strip(), value.strip()))
    return pairs


def set_values(thread: Thread, pairs: Sequence[tuple[str, str]], *, today: datetime) -> list[str]:
    """Apply the rep's ``(key, value)`` corrections to ``thread``; the changes, as lines.

    All or nothing: one bad value raises a CommandError and nothing is changed.
    """
    ctx = context_of(thread)
    extra: dict[str, str | None] = {}
    done: list[str] = []
    for key, value in pairs:
        name = key.strip().lower()
        if name in EXTRA_KEYS:
            column, limit, what = EXTRA_KEYS[name]
            text = " ".join(value.split())
            if len(text) > limit:
                raise CommandError(f"{name}: expected {what}, at most {limit} characters")
            extra[column] = None if text.lower() in ("", "none", "-") else text
            done.append(f"{name}: {extra[column] or '(cleared)'}")
            continue
        field, parsed = parse_set(key, value, today=today.date())
        ctx = apply(ctx, field, parsed)
        done.append(f"{name}: {value.strip() or '(cleared)'}")
    store(thread, ctx)
    for column, cleaned in extra.items():
        setattr(thread, column, cleaned)
    return done


async def replan(
    session: AsyncSession,
    thread: Thread,
    cadence: Cadence,
    *,
    at: datetime,
    default_tz: ZoneInfo,
) -> list[Step]:
    """After a correction: plan the waiting step again, and void a pending draft.

    Returns the steps that need a (new) draft job.
    """
    open_steps = (
        await session.scalars(
            select(Step).where(Step.thread_id == thread.id, Step.state.in_(("planned", "drafted")))
        )
    ).all()
    again: list[Step] = []
    for step in open_steps:
        if step.state == "drafted":
            # Drafted with the old facts: the draft is void, the step is drafted again now.
            drafts = (
                await session.scalars(
                    select(Draft).where(Draft.step_id == step.id, Draft.state == "pending")
                )
            ).all()
            for draft in drafts:
                draft.state, draft.decided_at = "cancelled", at
            step.state, step.due_at = "planned", at
            transition(session, thread, ThreadState.ACTIVE, at=at, cause="the rep corrected facts")
            again.append(step)
        else:
            # Not drafted yet: planned afresh, so a step timed by a date moves with it.
            await session.delete(step)
            await session.flush()
            new = await plan_next(session, thread, cadence, at=at, default_tz=default_tz)
            if new is not None:
                if thread.paused_until is not None and new.due_at < thread.paused_until:
                    new.due_at = thread.paused_until  # the buyer is still away
                again.append(new)
    for step in again:
        audit(
            session,
            at=at,
            kind="replanned",
            thread=thread,
            cause=f"step {step.number} after the rep's correction, due {step.due_at:%Y-%m-%d}",
        )
    return again
