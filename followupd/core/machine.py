"""What machine mail does to tracked threads: bounces, read receipts, out-of-office replies.

None of these is ever answered. A hard bounce ends the address for good; a soft one (the
receiving server gave up for now: mailbox full, greylisting, a busy server) is counted and
the follow-up that bounced is sent again a day later, and after a few in a row the address
is treated as dead; a delay warning changes nothing, as the mail may still arrive. A read
receipt is remembered on the follow-up it names; an out-of-office reply moves
the open steps to the buyer's first workday after the stated return.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.review import day_in, when_in
from followupd.approval.texts import say
from followupd.classify.base import Classification
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.outbound import arm_step_action, disarm_action
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step
from followupd.core.threads import OPEN_STEP_STATES, audit, cancel_open_steps, transition
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Step, Thread
from followupd.sequence.states import ThreadState
from followupd.timing import day_off_reason, policy_from_settings

log = logging.getLogger(__name__)

# Without a stated return date, wait this long; with one, never longer than the cap.
OOO_DEFAULT = timedelta(days=7)
OOO_CAP = timedelta(days=30)
# A soft-bounced follow-up goes again after this long, at a good slot; after this many soft
# bounces the address counts as dead (a mailbox full for weeks is not read).
SOFT_RETRY_AFTER = timedelta(days=1)
SOFT_BOUNCE_LIMIT = 3
_FINAL = {
    ThreadState.WON.value,
    ThreadState.LOST.value,
    ThreadState.BOUNCED.value,
    ThreadState.STOPPED.value,
    ThreadState.REPLIED.value,
    ThreadState.COMPLETED.value,
}


async def on_bounce(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """Hard: suppress the address, end its threads, tell the rep. Soft: count it."""
    facts = cls.bounce
    if facts is None:
        return []
    now = rt.clock.now()
    contacts = (
        await session.scalars(select(Contact).where(Contact.email.in_(facts.addresses)))
    ).all()
    if cls.thread_id is not None:
        thread = await session.get(Thread, cls.thread_id)
        if thread is not None and thread.contact_id not in {c.id for c in contacts}:
            owner = await session.get(Contact, thread.contact_id)
            contacts = [*contacts, *([owner] if owner else [])]
    if not contacts:
        return []
    what = (
        f"{', '.join(c.email for c in contacts)}: {facts.status or '?'} "
        f"{(facts.diagnostic or '')[:200]}"
    )
    if facts.delayed:
        audit(session, at=now, kind="delivery-delayed", mailbox_id=mb.mailbox_id, cause=what)
        return []
    reason = f"hard bounce {facts.status or ''} {(facts.diagnostic or '')[:200]}".strip()
    # The reason is recorded in English; the rep reads it in their own language.
    lang = mb.settings.rep_language
    shown = say(
        lang,
        "bounced.hard_reason",
        status=facts.status or "",
        diagnostic=(facts.diagnostic or "")[:200],
    ).strip()
    if not facts.hard:
        for contact in contacts:
            contact.soft_bounces += 1
        audit(session, at=now, kind="soft-bounce", mailbox_id=mb.mailbox_id, cause=what)
        if max(c.soft_bounces for c in contacts) < SOFT_BOUNCE_LIMIT:
            return await retry_bounced_step(rt, mb, session, cls, facts.original_message_id)
        contacts = [c for c in contacts if c.soft_bounces >= SOFT_BOUNCE_LIMIT]
        reason = f"{SOFT_BOUNCE_LIMIT} temporary failures in a row ({what.split(': ', 1)[1]})"
        shown = say(
            lang, "bounced.soft_reason", limit=SOFT_BOUNCE_LIMIT, detail=what.split(": ", 1)[1]
        )
    actions: list[AfterCommit] = []
    for contact in contacts:
        contact.suppressed, contact.suppressed_reason = True, reason
        threads = (
            await session.scalars(
                select(Thread).where(
                    Thread.contact_id == contact.id,
                    Thread.mailbox_id == mb.mailbox_id,
                    Thread.state.not_in(_FINAL),
                )
            )
        ).all()
        for thread in threads:
            transition(session, thread, ThreadState.BOUNCED, at=now, cause=reason)
            step_ids = await cancel_open_steps(session, thread, cause="address bounced", at=now)
            actions.append(disarm_action(rt, step_ids))
        actions.append(
            tell_rep(
                rt,
                mb,
                say(lang, "bounced.subject", email=contact.email),
                say(lang, "bounced.body", email=contact.email, reason=shown, count=len(threads)),
            )
        )
    return actions


async def retry_bounced_step(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    cls: Classification,
    original_message_id: str | None,
) -> list[AfterCommit]:
    """Send the follow-up that soft-bounced once more, a day later, at a good slot.

    Only the thread's latest sent follow-up is retried, and only while nothing newer was
    drafted: a newer touch reaches the buyer anyway. Its Message-ID stays the same, since the
    first copy never arrived.
    """
    step = None
    if original_message_id:
        step = await session.scalar(select(Step).where(Step.message_id == original_message_id))
    if step is None and cls.thread_id is not None:
        step = await session.scalar(
            select(Step)
            .where(Step.thread_id == cls.thread_id, Step.state == "sent")
            .order_by(Step.number.desc())
            .limit(1)
        )
    thread = await session.get(Thread, step.thread_id) if step is not None else None
    if step is None or thread is None or step.state != "sent" or thread.state != "active":
        return []
    later = (
        await session.scalars(
            select(Step).where(Step.thread_id == thread.id, Step.number > step.number)
        )
    ).all()
    if any(s.state != "planned" for s in later):
        return []
    now = rt.clock.now()
    for planned in later:
        # Planned again after the retry is sent, counted from then.
        await session.delete(planned)
    contact = await session.get(Contact, thread.contact_id)
    if contact is None:
        return []
    tz = rt.buyer_tz(contact.timezone)
    lang = mb.settings.rep_language
    step.state, step.sent_at = "approved", None
    slot = await pick_for_step(
        rt, mb, session, step, thread, contact, earliest=now + SOFT_RETRY_AFTER
    )
    step.send_at = slot.send_at_utc
    thread.steps_done -= 1
    cause = f"step {step.number} soft-bounced; sending it again"
    transition(session, thread, ThreadState.DRAFTED, at=now, cause=cause)
    transition(session, thread, ThreadState.APPROVED, at=now, cause=cause)
    actions = [
        disarm_action(rt, [s.id for s in later]),
        arm_step_action(rt, step.id, "approved", step.send_at),
        tell_rep(
            rt,
            mb,
            say(lang, "delivery_failed.subject", subject=thread.subject),
            say(
                lang,
                "delivery_failed.body",
                buyer=contact.email,
                when=when_in(lang, step.send_at, tz, mb.rep_tz),
            ),
            thread_id=thread.id,
        ),
    ]
    return actions


async def on_read_receipt(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """Remember that the buyer displayed one of our follow-ups ("read, no reply" so far)."""
    facts = cls.receipt
    if facts is None or not facts.original_message_id:
        return []
    step = await session.scalar(select(Step).where(Step.message_id == facts.original_message_id))
    if step is None:
        return []
    thread = await session.get(Thread, step.thread_id)
    displayed = "displayed" in facts.disposition.lower()
    if displayed and step.read_at is None:
        step.read_at = rt.clock.now()
    audit(
        session,
        at=rt.clock.now(),
        kind="read-receipt",
        thread=thread,
        cause=f"step {step.number}: {facts.disposition[:120]}",
    )
    return []


def resume_at(rt: Runtime, now: datetime, back: date | None, contact: Contact) -> datetime:
    """Start of the buyer's first working day after ``back`` (or after a week), capped."""
    tz = rt.buyer_tz(contact.timezone)
    # The day after the stated return (they are back *on* it, busy with a full inbox).
    day = back + timedelta(days=1) if back else (now + OOO_DEFAULT).astimezone(tz).date()
    country = contact.country or contact.zone_country
    weekend = policy_from_settings(rt.config.settings, country=country).weekend
    # Their country's weekend and public holidays (a return right before New Year waits).
    for _ in range(14):
        if day_off_reason(day, country=country, weekend=weekend) is None:
            break
        day += timedelta(days=1)
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    return min(max(start, now), now + OOO_CAP)


async def on_auto_reply(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """An out-of-office on a tracked thread: move its open steps past the buyer's return."""
    if cls.thread_id is None:
        return []
    thread = await session.get(Thread, cls.thread_id)
    contact = await session.get(Contact, thread.contact_id) if thread is not None else None
    if thread is None or contact is None or thread.state in _FINAL:
        return []
    now = rt.clock.now()
    until = resume_at(rt, now, cls.return_date, contact)
    thread.paused_until = until
    actions: list[AfterCommit] = []
    steps = (
        await session.scalars(
            select(Step).where(Step.thread_id == thread.id, Step.state.in_(OPEN_STEP_STATES))
        )
    ).all()
    tz = rt.buyer_tz(contact.timezone)
    for step in steps:
        if step.state == "planned" and step.due_at < until:
            step.due_at = until
            actions.append(arm_step_action(rt, step.id, "planned", until))
        elif step.state == "approved" and step.send_at is not None and step.send_at < until:
            slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=until)
            step.send_at = slot.send_at_utc
            actions.append(arm_step_action(rt, step.id, "approved", step.send_at))
    stated = f"back {cls.return_date:%Y-%m-%d}" if cls.return_date else "no return date stated"
    audit(
        session,
        at=now,
        kind="out-of-office",
        thread=thread,
        cause=f"{stated}; next touch not before {until:%Y-%m-%d %H:%M} UTC",
    )
    lang = mb.settings.rep_language
    actions.append(
        tell_rep(
            rt,
            mb,
            say(lang, "ooo.subject", subject=thread.subject),
            say(
                lang,
                "ooo.body",
                who=msg.from_.email if msg.from_ else say(lang, "ooo.the_buyer"),
                stated=(
                    say(lang, "ooo.back", date=f"{cls.return_date:%Y-%m-%d}")
                    if cls.return_date
                    else say(lang, "ooo.no_return")
                ),
                day=day_in(lang, until.astimezone(tz).date()),
            ),
            thread_id=thread.id,
        )
    )
    return actions
