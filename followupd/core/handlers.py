"""What people's mail does: the rep's command, the buyer's reply, the rep's own reply.

Handlers run inside the message's transaction and return actions to run after the commit
(mails to the rep, timers): nothing leaves the process before the database holds the decision.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.auth import CommandClaim, refusal
from followupd.approval.commands import parse_command
from followupd.approval.review import when
from followupd.classify.base import Classification
from followupd.core import outbound
from followupd.core.contacts import learn_language
from followupd.core.corrections import on_set
from followupd.core.notices import on_notice_command, refuse_unless_genuine
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step
from followupd.core.threads import (
    cancel_open_steps,
    plan_next,
    stale_reason,
    transition,
)
from followupd.core.verbs import close_thread, on_paid
from followupd.errors import CommandError
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Draft, Step, Thread
from followupd.sequence.states import AUTOMATED_STATES, ThreadState

log = logging.getLogger(__name__)


async def on_reply(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """The buyer answered: stop everything on the thread and tell the rep."""
    if cls.thread_id is None:
        return []
    thread = await session.get(Thread, cls.thread_id)
    if thread is None:
        return []
    now = rt.clock.now()
    sender = msg.from_.email if msg.from_ else "?"
    buyer = await session.get(Contact, thread.contact_id)
    if buyer is not None and buyer.email == sender:
        # The next follow-up this buyer gets, on any thread, is in the language they write.
        learn_language(buyer, msg.text, "buyer")
    if not transition(
        session,
        thread,
        ThreadState.REPLIED,
        at=now,
        cause=f"reply from {sender} <{msg.message_id}>",
    ):
        return []
    step_ids = await cancel_open_steps(session, thread, cause="buyer replied", at=now)
    actions: list[AfterCommit] = [outbound.disarm_action(rt, step_ids)]
    name = msg.from_.name if msg.from_ and msg.from_.name else sender
    advice = NEXT_STEP.get(cls.intent or "", "Read it and answer in person.")
    contact = await session.get(Contact, thread.contact_id)
    if contact is not None:
        # Mail reaches them: earlier temporary failures no longer count towards giving up.
        contact.soft_bounces = 0
    if cls.intent == "unsubscribe" and contact is not None and contact.email == sender:
        contact.suppressed, contact.suppressed_reason = True, "asked to be removed"
    actions.append(
        tell_rep(
            rt,
            mb,
            f"Buyer replied: {thread.subject}",
            f"{name} <{sender}> replied (subject: {msg.subject}).\n"
            f"followupd stopped all follow-ups on this thread; it is yours now.\n\n"
            f"What the reply seems to say: {INTENT_SHOWN.get(cls.intent or '', 'not sure')}.\n"
            f"Suggested next step: {advice}\n",
            thread_id=thread.id,
        )
    )
    return actions


async def on_rep_reply(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """The rep wrote to the buyer by hand on a tracked thread: the rep took it over.

    Automation pauses with no end date, so nothing followupd planned can cross what the rep
    wrote. A thread that is already out of automation (replied, stopped ...) stays as it is.
    """
    if cls.thread_id is None:
        return []
    thread = await session.get(Thread, cls.thread_id)
    if thread is None or ThreadState(thread.state) not in AUTOMATED_STATES:
        return []
    now = rt.clock.now()
    if not transition(
        session,
        thread,
        ThreadState.PAUSED,
        at=now,
        cause=f"the rep wrote to the buyer by hand <{msg.message_id}>",
    ):
        return []
    thread.paused_until = None
    step_ids = await cancel_open_steps(session, thread, cause="the rep took over", at=now)
    plus = mb.settings.rep_address.replace("@", "+fu@")
    return [
        outbound.disarm_action(rt, step_ids),
        tell_rep(
            rt,
            mb,
            f"You took over: {thread.subject}",
            f"You wrote to the buyer yourself on '{thread.subject}' (your mail: {msg.subject}).\n"
            "followupd paused this thread and cancelled what it had planned, so nothing it "
            "sends can cross your mail.\n\n"
            f"To have followupd follow up again, Bcc {plus} on your next mail in this "
            "conversation.\n",
            thread_id=thread.id,
        ),
    ]


# How the rep is told what a reply seems to say, and what usually works next.
INTENT_SHOWN = {
    "interested": "interested, or asking a question",
    "comparing": "comparing suppliers",
    "later": "not now, maybe later",
    "price": "the price is too high",
    "unsubscribe": "not interested / remove me",
}
NEXT_STEP = {
    "interested": "answer the question today; a quick answer wins the order.",
    "comparing": "send a clear comparison table (template comparison-table).",
    "later": "agree, and move the buyer to a long nurture cadence.",
    "price": "offer flexible terms or another quantity (template flexible-terms).",
    "unsubscribe": "nothing: followupd will not write to this address again.",
}


async def on_command(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """The rep answered a review mail or a notice: authenticate, then obey the command."""
    if cls.notice_id is not None:
        return await on_notice_command(rt, mb, session, msg, cls)
    now = rt.clock.now()
    draft = await session.get(Draft, cls.draft_id) if cls.draft_id is not None else None
    if draft is None:
        return []
    step = await session.get(Step, draft.step_id)
    thread = await session.get(Thread, step.thread_id) if step else None
    if step is None or thread is None:
        return []
    claim = CommandClaim(
        draft_id=draft.id,
        nonce=draft.nonce,
        review_message_id=draft.review_message_id,
        draft_state=draft.state,
        rep_address=mb.settings.rep_address,
        secret=rt.config.approval_secret(),
        origin=cls.origin,
        stale=await stale_reason(session, thread, draft) if draft.state == "pending" else None,
    )
    refused = refuse_unless_genuine(rt, mb, session, msg, cls, thread, claim)
    if refused is not None:
        # Only a command that is genuine in every other way may make us draft again.
        if claim.stale is not None and refusal(msg, replace(claim, stale=None)) is None:
            refused += _redraft(rt, session, draft, step, thread)
        return refused
    try:
        command = parse_command(msg.text)
    except CommandError as exc:
        return [
            tell_rep(
                rt,
                mb,
                f"Command not understood: {thread.subject}",
                f"{exc}\nNothing was changed; the draft still waits for you.\n",
                msg.message_id,
            )
        ]
    if command.verb == "set":
        return await on_set(rt, mb, session, msg, thread, command.argument)
    draft.decided_at = now
    if command.verb == "approve":
        return await _approve(rt, mb, session, msg, draft, step, thread)
    if command.verb == "skip":
        draft.state, step.state = "skipped", "skipped"
        thread.steps_done += 1
        transition(session, thread, ThreadState.ACTIVE, at=now, cause="rep skipped the draft")
        nxt = await plan_next(
            session, thread, rt.cadences[thread.cadence], at=now, default_tz=rt.default_tz
        )
        actions = [
            tell_rep(
                rt,
                mb,
                f"Skipped: {thread.subject}",
                f"Step {step.number} skipped.\n",
                msg.message_id,
                thread_id=thread.id,
            )
        ]
        if nxt is not None:
            actions.append(outbound.arm_step_action(rt, nxt.id, "planned", nxt.due_at))
        return actions
    if command.verb == "paid":
        # The pending draft belongs to the payment chase; mark_paid cancels it.
        return await on_paid(rt, mb, session, thread, reply_to=msg.message_id)
    if command.verb == "stop":
        draft.state = "stopped"
    return await close_thread(rt, mb, session, thread, command.verb, reply_to=msg.message_id)


def _redraft(
    rt: Runtime, session: AsyncSession, draft: Draft, step: Step, thread: Thread
) -> list[AfterCommit]:
    """Void an out-of-date draft and draft its step again now, with what is known now."""
    now = rt.clock.now()
    draft.state, draft.decided_at = "stale", now
    if not transition(session, thread, ThreadState.ACTIVE, at=now, cause="draft out of date"):
        return []
    step.state = "planned"
    return [outbound.arm_step_action(rt, step.id, "planned", now)]


async def _approve(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    draft: Draft,
    step: Step,
    thread: Thread,
) -> list[AfterCommit]:
    now = rt.clock.now()
    contact = await session.get(Contact, thread.contact_id)
    if contact is None:
        return []
    tz = rt.buyer_tz(contact.timezone)
    slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=step.due_at)
    send_at = slot.send_at_utc
    if not transition(session, thread, ThreadState.APPROVED, at=now, cause="rep approved"):
        return [
            tell_rep(
                rt,
                mb,
                f"Not sent: {thread.subject}",
                f"The thread is {thread.state} now, so nothing will be sent.\n",
                msg.message_id,
            )
        ]
    draft.state, step.state, step.send_at = "approved", "approved", send_at
    return [
        outbound.arm_step_action(rt, step.id, "approved", send_at),
        tell_rep(
            rt,
            mb,
            f"Approved: {thread.subject}",
            f"Follow-up {step.number} will go out {when(send_at, tz, mb.rep_tz)}, unless the "
            f"buyer replies before.\n",
            msg.message_id,
            thread_id=thread.id,
        ),
    ]
