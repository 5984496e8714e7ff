"""At start, the timers are rebuilt from the database, which is the truth."""

from __future__ import annotations

import functools
import logging

from sqlalchemy import select

from followupd.core.digest import arm_digest
from followupd.core.outbound import arm_step
from followupd.core.review_mail import resend_review
from followupd.core.runtime import Runtime
from followupd.core.threads import audit
from followupd.model import Draft, Outbox, Step, Thread

log = logging.getLogger(__name__)


async def rebuild_jobs(rt: Runtime) -> list[tuple[int, str]]:
    """Arm every open step; return (thread id, subject) of sends left in doubt by a crash."""
    in_doubt: list[tuple[int, str]] = []
    now = rt.clock.now()
    async with rt.db.transaction() as session:
        rows = (
            await session.execute(
                select(Step, Thread)
                .join(Thread, Thread.id == Step.thread_id)
                .where(Thread.mailbox_id.in_(list(rt.mailboxes)))
                .where(Step.state.in_(("planned", "approved", "sending")))
            )
        ).all()
        in_outbox = set(
            (
                await session.scalars(
                    select(Outbox.step_id).where(Outbox.step_id.in_([s.id for s, _ in rows]))
                )
            ).all()
        )
        for step, thread in rows:
            if step.state == "sending" and step.id in in_outbox:
                continue  # its outbox row says how far it got: see resume_outbox
            if step.state == "sending":
                # Left by a version without the outbox: the SMTP transaction may or may not
                # have completed. Sending again could give the buyer two copies, so the step
                # is parked for the rep.
                step.state = "unknown"
                audit(
                    session,
                    at=now,
                    kind="send-in-doubt",
                    thread=thread,
                    cause=f"step {step.number} was being sent when the daemon stopped",
                )
                in_doubt.append((thread.id, thread.subject))
            elif step.state == "planned":
                arm_step(rt, step.id, "planned", step.due_at)
            elif step.send_at is not None:
                arm_step(rt, step.id, "approved", step.send_at)
        drafts = (
            await session.scalars(
                select(Draft).where(Draft.state == "pending", Draft.review_sent_at.is_(None))
            )
        ).all()
        for draft in drafts:
            rt.scheduler.arm(
                f"review:{draft.id}", now, functools.partial(resend_review, rt, draft.id)
            )
    for mb in rt.mailboxes.values():
        if mb.settings.review == "digest":
            # The digest job finds the open drafts itself, and does nothing when there are none.
            arm_digest(rt, mb)
    log.info("rebuilt %d step jobs and %d review retries", len(rows) - len(in_doubt), len(drafts))
    return in_doubt


async def arm_open_steps(rt: Runtime) -> int:
    """Arm the jobs of every planned or approved step again (idempotent: job id = step)."""
    async with rt.db.transaction() as session:
        steps = (
            await session.scalars(
                select(Step)
                .join(Thread, Thread.id == Step.thread_id)
                .where(Thread.mailbox_id.in_(list(rt.mailboxes)))
                .where(Step.state.in_(("planned", "approved")))
            )
        ).all()
        for step in steps:
            if step.state == "planned":
                arm_step(rt, step.id, "planned", step.due_at)
            elif step.send_at is not None:
                arm_step(rt, step.id, "approved", step.send_at)
    return len(steps)
