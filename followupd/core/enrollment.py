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

from followupd.approval.review import when_in
from followupd.approval.texts import say
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
    lang = mb.settings.rep_language
    if e is None or e.buyer is None or not e.root_message_id:
        why = (
            say(lang, "not_tracked.no_buyer")
            if e is not None and e.buyer is None
            else say(lang, "not_tracked.no_message_id")
        )
        return [
            tell_rep(
                rt,
                mb,
                say(lang, "not_tracked.subject", subject=msg.subject),
                say(lang, "not_tracked.body", why=why),
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
                say(lang, "unknown_cadence.subject", cadence=cadence_name, subject=msg.subject),
                say(
                    lang,
                    "unknown_cadence.body",
                    subject=msg.subject,
                    buyer=e.buyer.email,
                    cadence=cadence_name,
                    valid=valid,
                    example=mb.settings.rep_address.replace("@", "+fu-pi@"),
                ),
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
                say(lang, "tracking.subject", subject=thread.subject),
                say(
                    lang,
                    "tracking.body",
                    summary=summary_line(trade, buyer, cadence_name),
                    name=contact.name or contact.email,
                    email=contact.email,
                    facts="".join(f"- {line}\n" for line in lines),
                    kind=step.kind,
                    template=step.template,
                    when=when_in(lang, step.due_at, tz, mb.rep_tz),
                    thread_id=thread.id,
                ),
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
