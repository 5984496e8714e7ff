"""Sending an approved follow-up to the buyer.

Order matters for the two promises (at most one copy; nothing after a reply):
1. look at the mailbox once more, so a reply that arrived since the last IDLE push is seen;
2. under the state lock, re-read the thread and step; mark the step ``sending`` and commit;
3. talk SMTP; 4. record the outcome and plan the next step.
A crash between 2 and 4 leaves the step ``sending``; at the next start it is never resent
blindly (see ``rebuild``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.core.notify import mail_rep
from followupd.core.outbound import MISSED_SLOT, RECHECK_TIMEOUT, RETRY_DELAY, arm_step
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step, recheck_slot
from followupd.core.threads import audit, plan_next, transition
from followupd.mail.build import build_followup, make_message_id
from followupd.mail.parse import Address
from followupd.model import Contact, Draft, Message, Step, Thread
from followupd.sequence.states import ThreadState
from followupd.smtp.sender import SendError

log = logging.getLogger(__name__)

DAY = timedelta(days=1)


async def _recheck_mailbox(mb: MailboxRuntime) -> bool:
    """Fetch whatever arrived in the watched folders; False when the check could not run."""
    if mb.watcher is None:
        return True
    try:
        await asyncio.wait_for(asyncio.wrap_future(mb.watcher.request_sync()), RECHECK_TIMEOUT)
    except Exception as exc:
        log.warning("mailbox %s: re-check before send failed: %s", mb.settings.name, exc)
        return False
    return True


async def send_step(rt: Runtime, step_id: int) -> None:
    """The slot of an approved step has come: send it, unless anything says otherwise."""
    async with rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
    if step is None or thread is None:
        return
    mb = rt.mailboxes[thread.mailbox_id]
    if not await _recheck_mailbox(mb):
        rt.scheduler.arm(
            f"send:{step_id}", rt.clock.now() + RETRY_DELAY, lambda: send_step(rt, step_id)
        )
        return
    # The re-check delivered any new mail to the inbound queue; let it be processed first.
    await rt.inbound_drained()
    async with rt.lock:
        prepared = await _prepare(rt, mb, step_id)
    if prepared is None:
        return
    message, recipient, now = prepared
    try:
        await mb.sender.send(message, sender=mb.settings.rep_address, recipients=[recipient])
    except SendError as exc:
        async with rt.lock:
            await _failed(rt, mb, step_id, exc, now)
        return
    async with rt.lock:
        await _sent(rt, mb, step_id, str(message["Message-ID"]).strip("<>"), now)


async def _prepare(
    rt: Runtime, mb: MailboxRuntime, step_id: int
) -> tuple[EmailMessage, str, datetime] | None:
    async with rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        if step is None or step.state != "approved" or step.send_at is None:
            return None
        thread = await session.get(Thread, step.thread_id)
        contact = await session.get(Contact, thread.contact_id) if thread else None
        if thread is None or contact is None or thread.state != ThreadState.APPROVED.value:
            return None
        now = rt.clock.now()
        if now - step.send_at > MISSED_SLOT:
            # The daemon was down at the slot: pick a new one rather than send at any hour.
            slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=now)
            step.send_at = slot.send_at_utc
            audit(
                session,
                at=now,
                kind="resloted",
                thread=thread,
                cause=f"slot missed; new slot {step.send_at:%Y-%m-%d %H:%M} UTC",
            )
            arm_step(rt, step.id, "approved", step.send_at)
            return None
        problems, moved = await recheck_slot(rt, mb, session, step, thread, contact)
        if moved is not None:
            # The buyer's zone, country or hours changed after approval (or the timing
            # settings did): the old slot would land at a bad hour for them.
            step.send_at = moved.send_at_utc
            audit(
                session,
                at=now,
                kind="resloted",
                thread=thread,
                cause=f"{'; '.join(problems)[:300]}; new slot {step.send_at:%Y-%m-%d %H:%M} UTC",
            )
            arm_step(rt, step.id, "approved", step.send_at)
            return None
        if contact.suppressed:
            return None
        held = await _over_daily_limit(session, mb, now)
        if held is not None:
            slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=held)
            step.send_at = slot.send_at_utc
            audit(
                session,
                at=now,
                kind="resloted",
                thread=thread,
                cause=f"daily send limit of {mb.settings.smtp.daily_limit} reached; "
                f"new slot {step.send_at:%Y-%m-%d %H:%M} UTC",
            )
            arm_step(rt, step.id, "approved", step.send_at)
            return None
        draft = await session.scalar(
            select(Draft).where(
                Draft.step_id == step.id, Draft.state.in_(("approved", "objectable"))
            )
        )
        if draft is None:
            return None
        if draft.state == "objectable":
            # The rep did not object in time: from here on their answer cannot stop it.
            draft.state, draft.decided_at = "approved", now
        earlier = (
            await session.scalars(
                select(Step.message_id)
                .where(Step.thread_id == thread.id, Step.state == "sent")
                .order_by(Step.number)
            )
        ).all()
        chain = [thread.root_message_id, *[m for m in earlier if m]]
        step.message_id = step.message_id or make_message_id(
            "fu", rt.installation_id, mb.settings.name, thread.id, step.number, domain=mb.domain
        )
        step.state = "sending"
        message = build_followup(
            from_=Address(name=mb.settings.rep_name, email=mb.settings.rep_address),
            to=Address(name=contact.name or "", email=contact.email),
            subject=draft.subject,
            text=draft.text,
            html=draft.html,
            message_id=step.message_id,
            in_reply_to=chain[-1],
            references=chain,
            date=now,
        )
        audit(
            session,
            at=now,
            kind="sending",
            thread=thread,
            cause=f"step {step.number} <{step.message_id}>",
        )
        return message, contact.email, now


async def _over_daily_limit(
    session: AsyncSession, mb: MailboxRuntime, now: datetime
) -> datetime | None:
    """When the mailbox sent its daily limit in the last 24 hours: the moment it may again.

    Providers count a rolling day and suspend a mailbox that goes over, which would stop the
    rep's own mail too.
    """
    limit = mb.settings.smtp.daily_limit
    if limit is None:
        return None
    times = (
        await session.scalars(
            select(Step.sent_at)
            .join(Thread, Thread.id == Step.thread_id)
            .where(
                Thread.mailbox_id == mb.mailbox_id,
                Step.sent_at.is_not(None),
                Step.sent_at > now - DAY,
            )
            .order_by(Step.sent_at.desc())
            .limit(limit)
        )
    ).all()
    if len(times) < limit:
        return None
    oldest = min(t for t in times if t is not None)
    return oldest + DAY


async def _sent(
    rt: Runtime, mb: MailboxRuntime, step_id: int, message_id: str, at: datetime
) -> None:
    async with rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
        if step is None or thread is None:
            return
        step.state, step.sent_at = "sent", at
        session.add(
            Message(
                mailbox_id=mb.mailbox_id,
                thread_id=thread.id,
                message_id=message_id,
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
            return
        transition(session, thread, ThreadState.SENT, at=at, cause=f"step {step.number} sent")
        transition(session, thread, ThreadState.ACTIVE, at=at, cause="waiting for the next step")
        nxt = await plan_next(
            session, thread, rt.cadences[thread.cadence], at=at, default_tz=rt.default_tz
        )
    if nxt is not None:
        arm_step(rt, nxt.id, "planned", nxt.due_at)


async def _failed(
    rt: Runtime, mb: MailboxRuntime, step_id: int, exc: SendError, at: datetime
) -> None:
    subject = None
    async with rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
        if step is None or thread is None:
            return
        audit(session, at=at, kind="send-failed", thread=thread, cause=str(exc))
        if exc.permanent:
            step.state = "failed"
            transition(session, thread, ThreadState.ACTIVE, at=at, cause=f"send failed: {exc}")
            subject = thread.subject
        else:
            # Nothing was accepted: the same step may go again at a later slot.
            step.state = "approved"
            contact = await session.get(Contact, thread.contact_id)
            if contact is None:
                return
            slot = await pick_for_step(
                rt, mb, session, step, thread, contact, earliest=at + RETRY_DELAY
            )
            step.send_at = slot.send_at_utc
            arm_step(rt, step.id, "approved", step.send_at)
    if subject is not None:
        await mail_rep(
            rt,
            mb,
            subject=f"Send failed: {subject}",
            kind="notice",
            text=f"The follow-up could not be sent: {exc}\nIt will not be retried.\n",
        )
