"""Thread state changes, each one checked against the transition table and audited."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.errors import StateError
from followupd.model import Contact, Draft, Event, Message, Step, Thread
from followupd.sequence.cadence import Cadence
from followupd.sequence.planner import ThreadFacts, busy_days, plan
from followupd.sequence.states import ThreadState, check_transition

log = logging.getLogger(__name__)

# Step states in which a step still waits for something to happen.
OPEN_STEP_STATES = ("planned", "drafted", "approved")
# Drafts the rep may still decide: waiting for them, or going out unless they object.
OPEN_DRAFT_STATES = ("pending", "objectable")
# A template in a step in one of these states was sent, or is about to be: never again.
_USED_STATES = frozenset({"drafted", "approved", "sending", "sent", "unknown", "done"})


def audit(
    session: AsyncSession,
    *,
    at: datetime,
    kind: str,
    cause: str,
    thread: Thread | None = None,
    mailbox_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
) -> None:
    """Write one audit event."""
    session.add(
        Event(
            thread_id=thread.id if thread else None,
            mailbox_id=mailbox_id
            if mailbox_id is not None
            else (thread.mailbox_id if thread else None),
            at=at,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            cause=cause,
        )
    )


def transition(
    session: AsyncSession, thread: Thread, dst: ThreadState, *, cause: str, at: datetime
) -> bool:
    """Move ``thread`` to ``dst`` if the table allows it; refuse (and log) otherwise."""
    src = ThreadState(thread.state)
    if src == dst:
        return True
    try:
        check_transition(src, dst)
    except StateError as exc:
        log.warning("thread %s: %s (cause: %s)", thread.id, exc, cause)
        audit(
            session,
            at=at,
            kind="refused",
            thread=thread,
            from_state=src,
            to_state=dst,
            cause=f"{exc}; cause: {cause}",
        )
        return False
    thread.state = dst.value
    thread.updated_at = at
    audit(
        session, at=at, kind="transition", thread=thread, from_state=src, to_state=dst, cause=cause
    )
    return True


async def plan_next(
    session: AsyncSession,
    thread: Thread,
    cadence: Cadence,
    *,
    at: datetime,
    default_tz: ZoneInfo,
) -> Step | None:
    """Create the thread's next step (recording the ones passed over), or complete it."""
    facts = await thread_facts(session, thread, default_tz)
    skipped, planned = plan(cadence, thread.steps_done, facts, now=at)
    for gone in skipped:
        # Recorded, so the step numbers stay those of the cadence and the rep can see why.
        session.add(
            Step(
                thread_id=thread.id,
                number=thread.step_base + gone.step.number,
                kind=gone.step.kind,
                template=gone.step.template,
                state="skipped",
                due_at=at,
                created_at=at,
            )
        )
        thread.steps_done += 1
        audit(
            session,
            at=at,
            kind="step-skipped",
            thread=thread,
            cause=f"step {gone.step.number}: {gone.reason}",
        )
    if planned is None:
        transition(session, thread, ThreadState.COMPLETED, cause="cadence finished", at=at)
        return None
    step = Step(
        thread_id=thread.id,
        number=thread.step_base + planned.step.number,
        kind=planned.step.kind,
        template=planned.template,
        state="planned",
        due_at=planned.due,
        created_at=at,
    )
    session.add(step)
    await session.flush()
    audit(
        session,
        at=at,
        kind="planned",
        thread=thread,
        cause=f"step {step.number} ({step.kind} {step.template}) due {step.due_at:%Y-%m-%d}: "
        f"{planned.why}",
    )
    return step


async def thread_facts(session: AsyncSession, thread: Thread, default_tz: ZoneInfo) -> ThreadFacts:
    """What the planner needs about ``thread``: its dates, templates used, read receipts."""
    contact = await session.get(Contact, thread.contact_id)
    tz = ZoneInfo(contact.timezone) if contact is not None and contact.timezone else default_tz
    dates: dict[str, datetime] = {}
    # A date means the buyer's whole day: its steps count from the start of it, there.
    for name, day in (("validity", thread.validity), ("shipment", thread.shipment_date)):
        if day is not None:
            dates[name] = datetime.combine(day, time(0, 0), tzinfo=tz)
    if thread.paid_at is not None:
        dates["paid"] = thread.paid_at
    rows = (
        await session.execute(
            select(Step.template, Step.state, Step.read_at, Step.kind)
            .where(Step.thread_id == thread.id)
            .order_by(Step.number)
        )
    ).all()
    used = frozenset(t for t, state, _, _ in rows if state in _USED_STATES)
    emails = [
        (state, read_at) for _, state, read_at, kind in rows if kind == "email" and state == "sent"
    ]
    read_no_reply = bool(emails) and emails[-1][1] is not None
    return ThreadFacts(
        last_touch=thread.last_touch_at, dates=dates, used=used, read_no_reply=read_no_reply
    )


async def cancel_open_steps(
    session: AsyncSession, thread: Thread, *, cause: str, at: datetime
) -> list[int]:
    """Cancel every open step and pending draft of ``thread``; return the step ids."""
    steps = (
        await session.scalars(
            select(Step).where(Step.thread_id == thread.id, Step.state.in_(OPEN_STEP_STATES))
        )
    ).all()
    for step in steps:
        step.state = "cancelled"
        drafts = (
            await session.scalars(
                select(Draft).where(Draft.step_id == step.id, Draft.state.in_(OPEN_DRAFT_STATES))
            )
        ).all()
        for draft in drafts:
            draft.state = "cancelled"
            draft.decided_at = at
        audit(session, at=at, kind="cancelled", thread=thread, cause=f"step {step.number}: {cause}")
    return [s.id for s in steps]


async def buyer_busy_days(
    session: AsyncSession, contact: Contact, tz: ZoneInfo, *, except_step: int
) -> frozenset[date]:
    """The buyer's days that already have a touch, from any thread with their company.

    One company is one account: two follow-ups on one day, even on different threads or to
    two colleagues, read as pressure.
    """
    rows = (
        await session.execute(
            select(Step.sent_at, Step.send_at)
            .join(Thread, Thread.id == Step.thread_id)
            .join(Contact, Contact.id == Thread.contact_id)
            .where(
                Contact.domain == contact.domain,
                Step.id != except_step,
                Step.kind == "email",
                Step.state.in_(("approved", "sending", "sent", "unknown")),
            )
        )
    ).all()
    instants = [sent or planned for sent, planned in rows]
    return busy_days((i for i in instants if i is not None), tz)


# What makes an unapproved draft out of date: the buyer wrote, or displayed our last mail.
_NEWS = {"reply": "the buyer replied", "read_receipt": "the buyer read the last follow-up"}


async def stale_reason(session: AsyncSession, thread: Thread, draft: Draft) -> str | None:
    """Why ``draft`` no longer fits its thread (news from the buyer since it was made)."""
    row = (
        await session.execute(
            select(Message.label, Message.at)
            .where(
                Message.thread_id == thread.id,
                Message.label.in_(tuple(_NEWS)),
                Message.at > draft.created_at,
            )
            .order_by(Message.at)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    label, at = row
    return f"{_NEWS[label]} on {at:%Y-%m-%d %H:%M} UTC, after the draft was made"
