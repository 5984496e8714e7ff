"""The rep corrects what followupd knows about a deal: `set <key> <value>` in a reply.

The reply is authenticated like any command (it answers a review mail or a notice about the
thread, carries its token, comes from the rep). It does not decide a draft: the facts change,
a pending draft made from the old ones is void, and a fresh one follows with its own review
mail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.review import when_in
from followupd.approval.texts import say
from followupd.core import outbound
from followupd.core.contacts import CONTACT_KEYS, parse_contact_values, set_contact
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import recheck_slot
from followupd.core.threads import audit
from followupd.core.tradectx import replan, set_values
from followupd.errors import CommandError
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Step, Thread


async def on_set(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    thread: Thread,
    argument: str,
) -> list[AfterCommit]:
    """Apply ``argument`` ("validity 2026-12-20") to the thread, then re-plan and re-draft."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    key, _, value = argument.partition(" ")
    if key.strip().lower() in CONTACT_KEYS:
        return await _set_contact(rt, mb, session, msg, thread, key, value)
    try:
        changed = set_values(thread, [(key, value)], today=now)
    except CommandError as exc:
        return [
            tell_rep(
                rt,
                mb,
                say(lang, "not_changed.subject", subject=thread.subject),
                say(lang, "not_changed.retry", problem=exc),
                msg.message_id,
                thread_id=thread.id,
            )
        ]
    audit(session, at=now, kind="corrected", thread=thread, cause="; ".join(changed))
    steps = await replan(
        session, thread, rt.cadences[thread.cadence], at=now, default_tz=rt.default_tz
    )
    actions: list[AfterCommit] = [
        outbound.arm_step_action(rt, s.id, "planned", s.due_at) for s in steps
    ]
    actions.append(
        tell_rep(
            rt,
            mb,
            say(lang, "updated.subject", subject=thread.subject),
            say(lang, "updated.thread", changes="".join(f"{line}\n" for line in changed)),
            msg.message_id,
            thread_id=thread.id,
        )
    )
    return actions


async def _set_contact(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    thread: Thread,
    key: str,
    value: str,
) -> list[AfterCommit]:
    """``set timezone|country|language|hours …``: a fact about the buyer, for all their threads."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    contact = await session.get(Contact, thread.contact_id)
    try:
        values = parse_contact_values([(key, value)])
    except CommandError as exc:
        values, problem = {}, str(exc)
    else:
        problem = ""
    if contact is None or not values:
        return [
            tell_rep(
                rt,
                mb,
                say(lang, "not_changed.subject", subject=thread.subject),
                say(lang, "not_changed.body", problem=problem or say(lang, "not_changed.no_buyer")),
                msg.message_id,
                thread_id=thread.id,
            )
        ]
    changed = await set_contact(session, contact, values, default_zone=rt.default_tz.key, at=now)
    audit(session, at=now, kind="corrected", thread=thread, cause="; ".join(changed))
    moved, arms = await _reslot_approved(rt, session, contact, lang)
    slots = (
        say(lang, "updated.moved", lines="".join(f"- {line}\n" for line in moved))
        if moved
        else say(lang, "updated.kept")
    )
    return [
        tell_rep(
            rt,
            mb,
            say(lang, "updated.subject", subject=thread.subject),
            say(
                lang,
                "updated.contact",
                changes="".join(f"{line}\n" for line in changed),
                email=contact.email,
                slots=slots,
            ),
            msg.message_id,
            thread_id=thread.id,
        ),
        *arms,
    ]


async def _reslot_approved(
    rt: Runtime, session: AsyncSession, contact: Contact, lang: str
) -> tuple[list[str], list[AfterCommit]]:
    """Pick again the slots of ``contact``'s approved follow-ups that no longer suit them.

    Returns one line per moved follow-up, in ``lang``, for the mail to the rep.
    """
    rows = await session.execute(
        select(Step, Thread)
        .join(Thread, Thread.id == Step.thread_id)
        .where(Thread.contact_id == contact.id, Step.state == "approved", Step.kind == "email")
    )
    lines: list[str] = []
    arms: list[AfterCommit] = []
    for step, thread in rows.all():
        mb = rt.mailboxes.get(thread.mailbox_id)
        if mb is None:
            continue
        problems, choice = await recheck_slot(rt, mb, session, step, thread, contact)
        if choice is None:
            continue
        step.send_at = choice.send_at_utc
        cause = f"{'; '.join(problems)[:300]}; new slot {step.send_at:%Y-%m-%d %H:%M} UTC"
        audit(session, at=rt.clock.now(), kind="resloted", thread=thread, cause=cause)
        arms.append(outbound.arm_step_action(rt, step.id, "approved", step.send_at))
        buyer_tz = rt.buyer_tz(contact.timezone)
        shown = when_in(lang, step.send_at, buyer_tz, mb.rep_tz)
        lines.append(say(lang, "updated.moved_line", subject=thread.subject, when=shown))
    return lines, arms
