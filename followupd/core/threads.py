"""Thread state changes, each one checked against the transition table and audited."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.errors import StateError
from followupd.model import Draft, Event, Step, Thread
from followupd.sequence.cadence import Cadence
from followupd.sequence.planner import due_at, next_step
from followupd.sequence.states import ThreadState, check_transition

log = logging.getLogger(__name__)

# Step states in which a step still waits for something to happen.
OPEN_STEP_STATES = ("planned", "drafted", "approved")


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
    session: AsyncSession, thread: Thread, cadence: Cadence, *, at: datetime
) -> Step | None:
    """Create the next step of the cadence, or complete the thread when none is left."""
    step_def = next_step(cadence, thread.steps_done)
    if step_def is None:
        transition(session, thread, ThreadState.COMPLETED, cause="cadence finished", at=at)
        return None
    step = Step(
        thread_id=thread.id,
        number=step_def.number,
        kind=step_def.kind,
        template=step_def.template,
        state="planned",
        due_at=due_at(step_def, thread.last_touch_at),
        created_at=at,
    )
    session.add(step)
    await session.flush()
    audit(
        session,
        at=at,
        kind="planned",
        thread=thread,
        cause=f"step {step.number} ({step.kind} {step.template}) due {step.due_at:%Y-%m-%d}",
    )
    return step


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
                select(Draft).where(Draft.step_id == step.id, Draft.state == "pending")
            )
        ).all()
        for draft in drafts:
            draft.state = "cancelled"
            draft.decided_at = at
        audit(session, at=at, kind="cancelled", thread=thread, cause=f"step {step.number}: {cause}")
    return [s.id for s in steps]
