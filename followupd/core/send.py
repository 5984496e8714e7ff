"""Sending an approved follow-up to the buyer, through the outbox.

The two promises are at most one copy, and nothing after a reply. Each stage is committed
before it begins (the states are in :mod:`followupd.sequence.outbox`):

1. plan: under the state lock, the thread and step are read again, the exact bytes are built
   (with the Message-ID derived from installation, thread and step) and the outbox row is
   written ``planned`` in the same transaction that marks the step ``sending``;
2. the row is claimed by this daemon (a conditional update: only one daemon wins);
3. connected and logged in, right before MAIL FROM: a fresh look at every watched folder
   (``UID n:*`` each), the mail found is processed, and the thread is read again under the
   lock; a reply, a stop or a bounce cancels the send, else it is ``transmitting``;
4. ``committing`` just before the final "." of DATA;
5. the server's answer is handled in :mod:`followupd.core.send_outcome`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from email import policy

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from followupd import faults
from followupd.core import send_outcome
from followupd.core.outbound import MISSED_SLOT, RECHECK_TIMEOUT, RETRY_DELAY, arm_step
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step, recheck_slot
from followupd.core.threads import audit
from followupd.mail.build import build_followup, make_message_id
from followupd.mail.parse import Address
from followupd.model import Contact, Draft, Mailbox, Outbox, Step, Thread
from followupd.sequence.outbox import check_move
from followupd.sequence.states import ThreadState
from followupd.smtp.sender import SendError

__all__ = ["send_step", "transmit"]

log = logging.getLogger(__name__)

DAY = timedelta(days=1)
# CRLF line ends: the bytes go over SMTP as they are, and into Sent unchanged.
_WIRE = policy.default.clone(linesep="\r\n")


async def _recheck_mailbox(mb: MailboxRuntime) -> bool:
    """A fresh look at every watched folder; False when the look could not be made."""
    if mb.watcher is None:
        return True
    try:
        await asyncio.wait_for(asyncio.wrap_future(mb.watcher.request_sync()), RECHECK_TIMEOUT)
    except Exception as exc:
        log.warning("mailbox %s: re-check before send failed: %s", mb.settings.name, exc)
        return False
    return True


async def send_step(rt: Runtime, step_id: int) -> None:
    """The slot of an approved step (or of a send waiting to be tried again) has come."""
    async with rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
    if step is None or thread is None or thread.mailbox_id not in rt.mailboxes:
        return
    mb = rt.mailboxes[thread.mailbox_id]
    async with rt.lock:
        outbox_id = await _plan(rt, mb, step_id)
    if outbox_id is None:
        return
    faults.reached("planned")
    await transmit(rt, mb, outbox_id)


async def _plan(rt: Runtime, mb: MailboxRuntime, step_id: int) -> int | None:
    async with rt.db.transaction() as session:
        step = await session.get(Step, step_id)
        if step is None or step.send_at is None:
            return None
        row = await session.scalar(select(Outbox).where(Outbox.step_id == step.id))
        retry = step.state == "sending" and row is not None and row.state == "planned"
        if step.state != "approved" and not retry:
            return None
        thread = await session.get(Thread, step.thread_id)
        contact = await session.get(Contact, thread.contact_id) if thread else None
        if thread is None or contact is None:
            return None
        now = rt.clock.now()
        if thread.state != ThreadState.APPROVED.value or contact.suppressed:
            if retry and row is not None:
                why = "the buyer's address is suppressed" if contact.suppressed else thread.state
                send_outcome.cancel(session, row, step, thread, now, f"thread is {why}")
            return None
        if await _moved(rt, mb, session, step, thread, contact, now):
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
        raw = await _build(rt, mb, session, step, thread, contact, draft, now)
        assert step.message_id is not None
        if row is not None and row.state in ("recorded", "failed"):
            # Approved again after it went out: a soft bounce, the first copy never arrived.
            # A new send under the same Message-ID, from the start.
            row.state, row.attempts, row.reason, row.appended_at = "planned", 0, None, None
        if row is None:
            row = Outbox(
                step_id=step.id,
                mailbox_id=mb.mailbox_id,
                thread_id=thread.id,
                message_id=step.message_id,
                recipient=contact.email,
                state="planned",
                attempts=0,
                created_at=now,
            )
            session.add(row)
        # A retry sends fresh bytes (a new Date) under the same Message-ID.
        row.raw, row.updated_at = raw, now
        step.state = "sending"
        audit(
            session,
            at=now,
            kind="sending",
            thread=thread,
            cause=f"step {step.number} <{step.message_id}>",
        )
        await session.flush()
        return row.id


async def _moved(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    now: datetime,
) -> bool:
    """True when the step got a new slot instead (missed, no longer good, or held back)."""
    assert step.send_at is not None
    cause: str | None = None
    if now - step.send_at > MISSED_SLOT:
        # The daemon was down at the slot: pick a new one rather than send at any hour.
        step.send_at = (
            await pick_for_step(rt, mb, session, step, thread, contact, earliest=now)
        ).send_at_utc
        cause = "slot missed"
    else:
        problems, moved = await recheck_slot(rt, mb, session, step, thread, contact)
        if moved is not None:
            # The buyer's zone, country or hours changed after approval (or the timing
            # settings did): the old slot would land at a bad hour for them.
            step.send_at = moved.send_at_utc
            cause = "; ".join(problems)[:300]
        else:
            held, why = await _held_until(session, mb, now)
            if held is not None:
                slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=held)
                step.send_at = slot.send_at_utc
                cause = why
    if cause is None:
        return False
    audit(
        session,
        at=now,
        kind="resloted",
        thread=thread,
        cause=f"{cause}; new slot {step.send_at:%Y-%m-%d %H:%M} UTC",
    )
    arm_step(rt, step.id, step.state, step.send_at)
    return True


async def _held_until(
    session: AsyncSession, mb: MailboxRuntime, now: datetime
) -> tuple[datetime | None, str]:
    """When the mailbox may send again, if not now: a throttling hold or the daily limit."""
    mailbox = await session.get(Mailbox, mb.mailbox_id)
    if (
        mailbox is not None
        and mailbox.send_hold_until is not None
        and mailbox.send_hold_until > now
    ):
        return mailbox.send_hold_until, "the provider asked this mailbox to send less"
    held = await _over_daily_limit(session, mb, now)
    if held is not None:
        return held, f"daily send limit of {mb.settings.smtp.daily_limit} reached"
    return None, ""


async def _build(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    draft: Draft,
    now: datetime,
) -> bytes:
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
        read_receipt_to=mb.settings.rep_address if mb.settings.read_receipts else None,
    )
    raw = message.as_bytes(policy=_WIRE)
    return mb.signer.sign(raw) if mb.signer is not None else raw


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


async def transmit(rt: Runtime, mb: MailboxRuntime, outbox_id: int) -> None:
    """Claim the planned send ``outbox_id`` and hand it to the SMTP server."""
    async with rt.db.transaction() as session:
        claimed = await session.execute(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.state == "planned")
            .values(
                state="claimed",
                claimed_by=rt.instance,
                attempts=Outbox.attempts + 1,
                updated_at=rt.clock.now(),
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return  # another daemon, or an earlier job, has it
        row = await session.get(Outbox, outbox_id)
        assert row is not None
        raw, recipient = row.raw, row.recipient
    faults.reached("claimed")
    looked = False

    async def before_mail() -> bool:
        nonlocal looked
        if not await _recheck_mailbox(mb):
            return False
        looked = True
        # The look handed any new mail to the inbound queue: it is processed first.
        await rt.inbound_drained()
        async with rt.lock:
            go = await _begin(rt, outbox_id)
        if go:
            faults.reached("transmitting")
        return go

    async def before_end_of_data() -> None:
        async with rt.db.transaction() as session:
            row = await session.get(Outbox, outbox_id)
            assert row is not None
            check_move(row.state, "committing")
            row.state, row.updated_at = "committing", rt.clock.now()
        faults.reached("committing")

    try:
        reply = await mb.sender.send(
            raw,
            sender=mb.settings.rep_address,
            recipients=[recipient],
            before_mail=before_mail,
            before_end_of_data=before_end_of_data,
        )
    except SendError as exc:
        await send_outcome.failed(rt, mb, outbox_id, exc)
        return
    if reply is None:
        if not looked:
            # The look for a reply could not be made: no send without it. Try again soon.
            await send_outcome.not_now(rt, mb, outbox_id, RETRY_DELAY)
        return
    faults.reached("smtp-accepted")
    await send_outcome.accepted(rt, mb, outbox_id, reply)


async def _begin(rt: Runtime, outbox_id: int) -> bool:
    """Under the lock, after the fresh look: cancel on any news, else ``transmitting``."""
    async with rt.db.transaction() as session:
        row = await session.get(Outbox, outbox_id)
        if row is None or row.state != "claimed" or row.claimed_by != rt.instance:
            return False
        step = await session.get(Step, row.step_id)
        thread = await session.get(Thread, row.thread_id)
        contact = await session.get(Contact, thread.contact_id) if thread else None
        now = rt.clock.now()
        if step is None or thread is None or contact is None:
            return False
        if thread.state != ThreadState.APPROVED.value or contact.suppressed:
            why = "the buyer's address is suppressed" if contact.suppressed else thread.state
            send_outcome.cancel(session, row, step, thread, now, f"thread is {why}")
            log.info("mailbox %d: send of step %d cancelled: %s", row.mailbox_id, step.number, why)
            return False
        check_move(row.state, "transmitting")
        row.state, row.updated_at = "transmitting", now
        return True
