"""Enrollment: the rep Bcc'd the plus address, so followupd starts tracking the thread.

The deal's facts are read from the mail itself and confirmed to the rep in the "Tracking"
mail, each with the command that corrects it. Runs inside the message's transaction and
returns actions to run after the commit, like every handler.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.review import when
from followupd.classify.base import Classification
from followupd.core import outbound
from followupd.core.contacts import learn_language
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import learn_zone
from followupd.core.threads import audit, plan_next
from followupd.core.tradectx import store
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Thread
from followupd.sequence.states import ThreadState
from followupd.trade import ack_lines, extract_context, summary_line


async def on_enrollment(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """Start tracking the thread the rep marked with the plus address."""
    e = cls.enrollment
    now = rt.clock.now()
    if e is None or e.buyer is None or not e.root_message_id:
        why = (
            "it has no buyer recipient"
            if e is not None and e.buyer is None
            else ("it has no Message-ID")
        )
        return [
            tell_rep(
                rt,
                mb,
                f"Not tracked: {msg.subject}",
                f"followupd could not track this mail: {why}.\n",
                msg.message_id,
            )
        ]
    cadence_name = e.cadence or mb.settings.default_cadence
    if cadence_name not in rt.cadences:
        valid = ", ".join(sorted(rt.cadences))
        return [
            tell_rep(
                rt,
                mb,
                f"Unknown cadence '{cadence_name}': {msg.subject}",
                f"The mail '{msg.subject}' to {e.buyer.email} asked for cadence '{cadence_name}', "
                f"which does not exist, so the thread is NOT tracked.\n\n"
                f"Valid cadences: {valid}.\n"
                f"Send the mail again with a valid one, e.g. "
                f"{mb.settings.rep_address.replace('@', '+fu-pi@')}.\n",
                msg.message_id,
            )
        ]
    exists = await session.scalar(
        select(Thread.id).where(
            Thread.mailbox_id == mb.mailbox_id, Thread.root_message_id == e.root_message_id
        )
    )
    if exists is not None:
        return []
    contact = await session.scalar(select(Contact).where(Contact.email == e.buyer.email))
    if contact is None:
        contact = Contact(
            email=e.buyer.email,
            name=e.buyer.name or None,
            domain=e.buyer.email.rsplit("@", 1)[1],
            suppressed=False,
            created_at=now,
        )
        session.add(contact)
        await session.flush()
    elif e.buyer.name and not contact.name:
        contact.name = e.buyer.name
    # Follow-ups are answers in this conversation: they speak its language.
    learn_language(contact, msg.text, "thread")
    await learn_zone(session, contact, default_zone=rt.default_tz.key, at=now)
    # Due dates count from when the rep sent the mail, unless its Date is implausible.
    sent = msg.date if msg.date and now - timedelta(days=30) <= msg.date <= now else now
    trade = extract_context(
        msg.subject, msg.text, msg.attachments, sent=sent.date(), cadence=cadence_name
    )
    if trade.tier is None and await _ordered_before(session, contact.domain):
        trade = replace(trade, tier="regular", sources={**trade.sources, "tier": "history"})
    thread = Thread(
        mailbox_id=mb.mailbox_id,
        contact_id=contact.id,
        root_message_id=e.root_message_id,
        subject=e.subject or msg.subject,
        cadence=cadence_name,
        state=ThreadState.ACTIVE.value,
        steps_done=0,
        last_touch_at=sent,
        created_at=now,
        updated_at=now,
    )
    store(thread, trade)
    session.add(thread)
    await session.flush()
    audit(
        session,
        at=now,
        kind="enrolled",
        thread=thread,
        to_state=thread.state,
        cause=f"plus address in {cls.evidence.get('matched', 'recipients')}; "
        f"cadence {cadence_name}",
    )
    step = await plan_next(
        session, thread, rt.cadences[cadence_name], at=now, default_tz=rt.default_tz
    )
    actions: list[AfterCommit] = []
    if step is not None:
        actions.append(outbound.arm_step_action(rt, step.id, "planned", step.due_at))
        tz = rt.buyer_tz(contact.timezone)
        buyer = contact.company or contact.name or contact.email
        lines = ack_lines(trade)
        actions.append(
            tell_rep(
                rt,
                mb,
                f"Tracking: {thread.subject}",
                f"{summary_line(trade, buyer, cadence_name)}.\n"
                f"Buyer: {contact.name or contact.email} <{contact.email}>.\n\n"
                "What followupd read from your mail (used in the follow-ups; your notes never "
                "are):\n" + "".join(f"- {line}\n" for line in lines) + "\n"
                f"First step ({step.kind}, {step.template}) is due "
                f"{when(step.due_at, tz, mb.rep_tz)}; you will get the draft to approve.\n"
                "Correct a fact by replying to this mail (or to the review mail) with "
                f"`set <key> <value>`, or run `followupd thread set {thread.id} key=value`.\n"
                "A reply from the buyer stops all follow-ups on this thread.\n",
                msg.message_id,
                thread_id=thread.id,
            )
        )
    return actions


async def _ordered_before(session: AsyncSession, domain: str) -> bool:
    """Whether the buyer's company paid or was won on an earlier thread: a regular buyer."""
    found = await session.scalar(
        select(Thread.id)
        .join(Contact, Contact.id == Thread.contact_id)
        .where(
            Contact.domain == domain,
            or_(Thread.paid_at.is_not(None), Thread.state == ThreadState.WON.value),
        )
        .limit(1)
    )
    return found is not None
