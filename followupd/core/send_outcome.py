"""What happens after the SMTP server answered a follow-up (or did not).

- accepted: filed in Sent where the provider does not do it, then recorded: the step is sent,
  the thread moves on and the next step is planned;
- 4xx: planned again after a growing delay, at an allowed slot, while the step's slack lasts;
- a throttling reply: the same, and the whole mailbox holds back its sends for a while;
- 5xx: the step failed and the rep is told, once;
- no answer to the final ".": in doubt, settled by a look in the rep's Sent folder.

After a restart, :func:`resume_outbox` takes every unfinished send on from its state.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd import faults
from followupd.core.notify import mail_rep
from followupd.core.outbound import arm_step
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.sentbox import file_in_sent, look_for_copy
from followupd.core.slots import pick_for_step, step_slack
from followupd.core.threads import audit, plan_next, transition
from followupd.model import Contact, Mailbox, Message, Outbox, Step, Thread
from followupd.sequence.outbox import (
    ACTIVE,
    AFTER_RESTART,
    Action,
    check_move,
    retry_delay,
    settle_in_doubt,
    throttle_hold,
)
from followupd.sequence.states import ThreadState
from followupd.smtp.sender import SendError

__all__ = ["accepted", "cancel", "failed", "finish", "not_now", "resume_outbox", "settle"]

log = logging.getLogger(__name__)

# However small a step's slack, a refused send gets this long to go out after all: enough
# to reach past a weekend to the buyer's next working day.
RETRY_FLOOR = timedelta(days=4)


def cancel(
    session: AsyncSession, row: Outbox, step: Step, thread: Thread, at: datetime, why: str
) -> None:
    """The send stops before any byte of it reached a server: the thread moved on."""
    check_move(row.state, "failed")
    row.state, row.reason, row.updated_at = "failed", f"cancelled: {why}", at
    step.state = "cancelled"
    audit(session, at=at, kind="cancelled", thread=thread, cause=f"step {step.number}: {why}")


async def accepted(rt: Runtime, mb: MailboxRuntime, outbox_id: int, reply: str) -> None:
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        if row is None:
            return
        check_move(row.state, "accepted")
        row.state, row.server_reply, row.updated_at = "accepted", reply[:500], rt.clock.now()
        mailbox = await session.get(Mailbox, mb.mailbox_id)
        if mailbox is not None:
            mailbox.throttle_strikes = 0
    faults.reached("accepted")
    await finish(rt, mb, outbox_id, resumed=False)


async def finish(rt: Runtime, mb: MailboxRuntime, outbox_id: int, *, resumed: bool = True) -> None:
    """File an accepted send in Sent if the provider does not, then record it.

    ``resumed``: taken on after a restart, when a copy may already have been filed.
    """
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        if row is None or row.state != "accepted":
            return
        raw, message_id, appended = row.raw, row.message_id, row.appended_at
    if not mb.settings.smtp.saves_sent and appended is None:
        # After a restart the APPEND may have been made and not noted: look first.
        look = await look_for_copy(rt, mb, message_id, wait=0) if resumed else None
        folder = look.detail if look and look.found else await file_in_sent(rt, mb, raw)
        if folder is not None:
            async with rt.db.transaction() as session:
                row = await session.get(Outbox, outbox_id)
                if row is not None:
                    row.appended_at = rt.clock.now()
            faults.reached("appended")
    async with rt.lock:
        nxt = await _record(rt, mb, outbox_id)
    faults.reached("recorded")
    if nxt is not None:
        arm_step(rt, nxt.id, "planned", nxt.due_at)


async def _record(rt: Runtime, mb: MailboxRuntime, outbox_id: int) -> Step | None:
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        if row is None or row.state != "accepted":
            return None
        step = await session.get(Step, row.step_id)
        thread = await session.get(Thread, row.thread_id)
        if step is None or thread is None:
            return None
        at = rt.clock.now()
        check_move(row.state, "recorded")
        row.state, row.updated_at = "recorded", at
        step.state, step.sent_at = "sent", at
        session.add(
            Message(
                mailbox_id=mb.mailbox_id,
                thread_id=thread.id,
                message_id=row.message_id,
                direction="out",
                label="followup",
                evidence="{}",
                at=at,
            )
        )
        thread.steps_done += 1
        thread.last_touch_at = at
        if thread.state != ThreadState.APPROVED.value:
            # Something happened while SMTP was talking (a reply, a stop): the mail is out,
            # but the thread stays where that event put it and nothing more is planned.
            audit(
                session,
                at=at,
                kind="sent-late",
                thread=thread,
                cause=f"step {step.number} went out while the thread became {thread.state}",
            )
            return None
        transition(session, thread, ThreadState.SENT, at=at, cause=f"step {step.number} sent")
        transition(session, thread, ThreadState.ACTIVE, at=at, cause="waiting for the next step")
        return await plan_next(
            session, thread, rt.cadences[thread.cadence], at=at, default_tz=rt.default_tz
        )


async def failed(rt: Runtime, mb: MailboxRuntime, outbox_id: int, exc: SendError) -> None:
    """The server refused, or the connection broke, before or after the final "."."""
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        state = row.state if row is not None else None
    if state is None:
        return
    log.warning("mailbox %s: send %d: %s (%s)", mb.settings.name, outbox_id, exc, exc.kind)
    if exc.kind == "ambiguous" and state == "committing":
        # The answer to the final "." was lost: the row says so durably before the look.
        faults.reached("in-doubt")
        await settle(rt, mb, outbox_id)
    elif exc.kind == "permanent":
        await _give_up(rt, mb, outbox_id, str(exc))
    elif exc.kind == "throttled":
        await _throttled(rt, mb, outbox_id, exc)
    else:
        # A 4xx, or a break before the final "." left: nothing was accepted.
        await _later(rt, mb, outbox_id, exc)


async def not_now(rt: Runtime, mb: MailboxRuntime, outbox_id: int, delay: timedelta) -> None:
    """Back to planned without counting a failure (the look for a reply could not run)."""
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        step = await session.get(Step, row.step_id) if row else None
        if row is None or step is None or row.state not in ("claimed", "transmitting"):
            return
        thread = await session.get(Thread, row.thread_id)
        contact = await session.get(Contact, thread.contact_id) if thread else None
        if thread is None or contact is None:
            return
        check_move(row.state, "planned")
        row.state, row.updated_at = "planned", rt.clock.now()
        # Still at an allowed slot: near a full hour, in the buyer's working time.
        slot = await pick_for_step(
            rt, mb, session, step, thread, contact, earliest=rt.clock.now() + delay, soonest=True
        )
        step.send_at = slot.send_at_utc
        arm_step(rt, step.id, "sending", step.send_at)


async def _later(rt: Runtime, mb: MailboxRuntime, outbox_id: int, exc: SendError) -> None:
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        if row is None:
            return
        delay = retry_delay(row.attempts)
        gave_up = await _replan(rt, mb, session, row, rt.clock.now() + delay, str(exc))
    if gave_up is not None:
        await _tell_failed(rt, mb, gave_up, f"{exc} (tried {row.attempts} times)")


async def _throttled(rt: Runtime, mb: MailboxRuntime, outbox_id: int, exc: SendError) -> None:
    now = rt.clock.now()
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        mailbox = await session.get(Mailbox, mb.mailbox_id)
        if row is None or mailbox is None:
            return
        mailbox.throttle_strikes += 1
        hold = now + throttle_hold(mailbox.throttle_strikes)
        mailbox.send_hold_until = max(hold, mailbox.send_hold_until or hold)
        log.warning(
            "mailbox %s: the provider throttles sending; no follow-up before %s",
            mb.settings.name,
            mailbox.send_hold_until.isoformat(timespec="minutes"),
        )
        gave_up = await _replan(rt, mb, session, row, mailbox.send_hold_until, str(exc))
    if gave_up is not None:
        await _tell_failed(rt, mb, gave_up, str(exc))


async def _replan(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    row: Outbox,
    earliest: datetime,
    why: str,
) -> str | None:
    """Planned again at the first allowed slot after ``earliest``; past the step's slack the
    send fails instead, and the thread's subject is returned for the rep's notice."""
    step = await session.get(Step, row.step_id)
    thread = await session.get(Thread, row.thread_id)
    contact = await session.get(Contact, thread.contact_id) if thread else None
    if step is None or thread is None or contact is None:
        return None
    now = rt.clock.now()
    slot = await pick_for_step(
        rt, mb, session, step, thread, contact, earliest=earliest, soonest=True
    )
    latest = max(step.due_at + step_slack(rt, step, thread), row.created_at + RETRY_FLOOR)
    if slot.send_at_utc > latest:
        return _fail(session, row, step, thread, now, f"gave up: {why}")
    check_move(row.state, "planned")
    row.state, row.reason, row.updated_at = "planned", why[:500], now
    step.send_at = slot.send_at_utc
    audit(
        session,
        at=now,
        kind="send-retry",
        thread=thread,
        cause=f"{why[:300]}; new slot {step.send_at:%Y-%m-%d %H:%M} UTC",
    )
    arm_step(rt, step.id, "sending", step.send_at)
    return None


def _fail(
    session: AsyncSession, row: Outbox, step: Step, thread: Thread, at: datetime, why: str
) -> str:
    check_move(row.state, "failed")
    row.state, row.reason, row.updated_at = "failed", why[:500], at
    step.state = "failed"
    audit(session, at=at, kind="send-failed", thread=thread, cause=why[:500])
    if thread.state == ThreadState.APPROVED.value:
        transition(session, thread, ThreadState.ACTIVE, at=at, cause=f"send failed: {why[:200]}")
    return thread.subject


async def _give_up(rt: Runtime, mb: MailboxRuntime, outbox_id: int, why: str) -> None:
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        step = await session.get(Step, row.step_id) if row else None
        thread = await session.get(Thread, row.thread_id) if row else None
        if row is None or step is None or thread is None or row.state not in ACTIVE:
            return
        subject = _fail(session, row, step, thread, rt.clock.now(), why)
    await _tell_failed(rt, mb, subject, why)


async def _tell_failed(rt: Runtime, mb: MailboxRuntime, subject: str, why: str) -> None:
    await mail_rep(
        rt,
        mb,
        subject=f"Send failed: {subject}",
        kind="notice",
        text=f"The follow-up could not be sent: {why}\nIt will not be retried.\n",
    )


async def settle(rt: Runtime, mb: MailboxRuntime, outbox_id: int) -> None:
    """A send whose final "." may have reached the server: look for it in Sent."""
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        if row is None or row.state != "committing":
            return
        message_id = row.message_id
    look = await look_for_copy(rt, mb, message_id, wait=mb.settings.smtp.sent_copy_wait_seconds)
    if not look.found and rt.scheduler.stopping:
        return  # cut short by a stop: settled at the next start
    verdict = settle_in_doubt(
        found=look.found, searched=look.searched, provider_saves=mb.settings.smtp.saves_sent
    )
    log.info(
        "mailbox %s: send %d in doubt: %s → %s", mb.settings.name, outbox_id, look.detail, verdict
    )
    subject = None
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        step = await session.get(Step, row.step_id) if row else None
        thread = await session.get(Thread, row.thread_id) if row else None
        if row is None or step is None or thread is None or row.state != "committing":
            return
        now = rt.clock.now()
        if verdict == "sent":
            row.state, row.server_reply, row.updated_at = "accepted", look.detail, now
            if not mb.settings.smtp.saves_sent:
                row.appended_at = now  # the copy in Sent is there already
        elif verdict == "absent":
            row.state, row.reason, row.updated_at = "planned", look.detail, now
            arm_step(rt, step.id, "sending", now)
        else:
            subject = _fail(session, row, step, thread, now, f"in doubt: {look.detail}")
            step.state = "unknown"
            audit(
                session,
                at=now,
                kind="send-in-doubt",
                thread=thread,
                cause=f"step {step.number}: the server's answer was lost; {look.detail}",
            )
    if verdict == "sent":
        await finish(rt, mb, outbox_id)
    elif subject is not None:
        await mail_rep(
            rt,
            mb,
            kind="notice",
            subject=f"Check: {subject}",
            text="followupd lost the mail server's answer while sending a follow-up on this "
            "thread and cannot tell whether it went out. It will not resend it; please check "
            "your Sent folder.\n",
        )


async def resume_outbox(rt: Runtime) -> int:
    """Take every unfinished send on from its state (after a restart); return how many."""
    async with rt.db.transaction() as session:
        rows = (
            await session.scalars(
                select(Outbox)
                .where(Outbox.state.in_(ACTIVE), Outbox.mailbox_id.in_(list(rt.mailboxes)))
                .order_by(Outbox.id)
            )
        ).all()
        now = rt.clock.now()
        todo: list[tuple[int, int, Action, datetime]] = []
        for row in rows:
            action = AFTER_RESTART[row.state]
            step = await session.get(Step, row.step_id)
            if step is None:
                continue
            if action == "send" and row.state != "planned":
                check_move(row.state, "planned")
                row.state, row.updated_at = "planned", now
            todo.append((row.mailbox_id, row.id, action, step.send_at or now))
            if action == "send":
                arm_step(rt, step.id, "sending", step.send_at or now)
    for mailbox_id, outbox_id, action, _at in todo:
        mb = rt.mailboxes[mailbox_id]
        if action == "look":
            rt.scheduler.arm(
                f"settle:{outbox_id}", now, functools.partial(settle, rt, mb, outbox_id)
            )
        elif action == "record":
            rt.scheduler.arm(
                f"finish:{outbox_id}", now, functools.partial(finish, rt, mb, outbox_id)
            )
    if todo:
        log.info("resumed %d unfinished send(s)", len(todo))
    return len(todo)
