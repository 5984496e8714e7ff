"""What people's mail does: the rep's command, the buyer's reply, the rep's own reply.

Handlers run inside the message's transaction and return actions to run after the commit
(mails to the rep, timers): nothing leaves the process before the database holds the decision.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.texts import say
from followupd.classify.base import Classification
from followupd.core import outbound
from followupd.core.contacts import learn_language
from followupd.core.digest import on_digest_command
from followupd.core.draft_commands import on_draft_command
from followupd.core.notices import on_notice_command
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import cancel_open_steps, transition
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Thread
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
    lang = mb.settings.rep_language
    intent = cls.intent if cls.intent in _INTENTS else "unknown"
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
            say(lang, "buyer_replied.subject", subject=thread.subject),
            say(
                lang,
                "buyer_replied.body",
                name=name,
                sender=sender,
                mail_subject=msg.subject,
                intent=say(lang, f"intent.{intent}"),
                advice=say(lang, f"advice.{intent}"),
            ),
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
    lang = mb.settings.rep_language
    return [
        outbound.disarm_action(rt, step_ids),
        tell_rep(
            rt,
            mb,
            say(lang, "took_over.subject", subject=thread.subject),
            say(
                lang, "took_over.body", subject=thread.subject, mail_subject=msg.subject, plus=plus
            ),
            thread_id=thread.id,
        ),
    ]


# The intents the classifier names; the rep is told what each seems to say and what usually
# works next (texts "intent.<name>" and "advice.<name>").
_INTENTS = frozenset(("interested", "comparing", "later", "price", "unsubscribe"))


async def on_command(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """The rep answered a review mail, a digest or a notice: authenticate, then obey."""
    if cls.notice_id is not None:
        return await on_notice_command(rt, mb, session, msg, cls)
    if cls.digest_id is not None:
        return await on_digest_command(rt, mb, session, msg, cls)
    return await on_draft_command(rt, mb, session, msg, cls)
