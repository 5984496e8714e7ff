"""The rep answered a notice about a thread: ``set``, ``paid``, ``snooze``, ``pause``,
``stop``, ``won`` or ``lost``.

Notices ("Tracking: …", "Updated: …", reminders) carry an ``FN-`` token. A reply to one is
checked like a reply to a review mail (it answers that notice, carries its token, comes from
the rep, and the token is unused and not older than ``NOTICE_TTL``), then obeyed. There is no
draft in a notice, so ``approve``, ``now`` and ``skip`` are explained, not obeyed; ``snooze``
and ``pause`` hold the whole thread.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.auth import NOTICE_TTL, CommandClaim, evaluate
from followupd.approval.commands import parse_command
from followupd.approval.texts import say
from followupd.classify.base import Classification
from followupd.core import decide
from followupd.core.awaiting import wait_for_sent
from followupd.core.corrections import on_set
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import audit
from followupd.core.verbs import close_thread, on_paid
from followupd.errors import CommandError
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Notice, Thread

log = logging.getLogger(__name__)


async def on_notice_command(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """Authenticate the reply to notice ``cls.notice_id``, then obey its command."""
    now = rt.clock.now()
    notice = await session.get(Notice, cls.notice_id) if cls.notice_id is not None else None
    if notice is None or notice.mailbox_id != mb.mailbox_id:
        return []
    thread = await session.get(Thread, notice.thread_id)
    if thread is None:
        return []
    if notice.used_at is not None:
        status = f"used on {notice.used_at:%Y-%m-%d %H:%M} UTC"
    elif now - notice.created_at > NOTICE_TTL:
        status = f"older than {NOTICE_TTL.days} days"
    else:
        status = "pending"
    claim = CommandClaim(
        draft_id=notice.id,
        nonce=notice.nonce,
        review_message_id=notice.message_id,
        draft_state=status,
        rep_address=mb.settings.rep_address,
        secret=rt.config.approval_secret(),
        kind="FN",
        origin=cls.origin,
    )
    refused = refuse_unless_genuine(rt, mb, session, msg, cls, thread, claim)
    if refused is not None:
        return refused
    lang = mb.settings.rep_language
    try:
        command = parse_command(msg.text)
    except CommandError as exc:
        return [_explain(rt, mb, thread, msg, say(lang, "notice_not_understood.body", detail=exc))]
    if command.verb in ("approve", "skip", "now"):
        return [
            _explain(rt, mb, thread, msg, say(lang, "notice_no_draft.body", verb=command.evidence))
        ]
    if command.until is not None and decide.pause_in_past(rt, mb, command.until):
        return [_explain(rt, mb, thread, msg, say(lang, "past_date.body", until=command.until))]
    notice.used_at = now
    audit(
        session,
        at=now,
        kind="command",
        thread=thread,
        cause=f"{command.verb} in a reply to notice {notice.id}",
    )
    if command.verb == "set":
        return await on_set(rt, mb, session, msg, thread, command.argument)
    if command.verb == "paid":
        return await on_paid(rt, mb, session, thread, reply_to=msg.message_id)
    if command.verb == "snooze" and command.delay is not None:
        return await _hold(rt, mb, session, msg, thread, now + command.delay, "snoozed")
    if command.verb == "pause" and command.until is not None:
        contact = await session.get(Contact, thread.contact_id)
        until = decide.pause_start(rt, mb, command.until, contact.timezone if contact else None)
        thread.paused_until = until
        return await _hold(rt, mb, session, msg, thread, until, "paused")
    if command.verb in ("stop", "won", "lost"):
        return await close_thread(rt, mb, session, thread, command.verb, reply_to=msg.message_id)
    return [_explain(rt, mb, thread, msg, say(lang, "incomplete.body", evidence=command.evidence))]


async def _hold(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    thread: Thread,
    until: datetime,
    what: str,
) -> list[AfterCommit]:
    lang = mb.settings.rep_language
    actions = await decide.hold(rt, mb, session, thread, until, f"rep {what} the thread")
    local = until.astimezone(mb.rep_tz)
    if what == "paused":
        text = say(lang, "paused.body", until=f"{local:%Y-%m-%d}")
    else:
        text = say(lang, "snoozed_thread.body", when=f"{local:%Y-%m-%d %H:%M}")
    subject = say(lang, f"{what}.subject", subject=thread.subject)
    return [*actions, tell_rep(rt, mb, subject, text, msg.message_id, thread_id=thread.id)]


def refuse_unless_genuine(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
    thread: Thread | None,
    claim: CommandClaim,
) -> list[AfterCommit] | None:
    """None when the reply passes every check of ``claim``; else audit, log, tell the rep.

    When only the proof of origin is missing and the rep's Sent folder may still show the
    reply, the decision waits for that search instead (after this transaction). The
    explanation of a refusal goes to the rep's configured address, never to the reply's From.
    """
    results = evaluate(msg, claim)
    failed = [r for r in results if not r.ok]
    if not failed:
        return None
    names = {r.name for r in failed}
    waiting = claim.origin is not None and claim.origin.waiting_for_sent()
    if waiting and msg.message_id and "origin" in names and names <= {"origin", "fresh"}:
        # The rest holds (an out-of-date draft is only redrafted for a genuine reply); the
        # rep's client may not have saved its copy in Sent yet.
        return [wait_for_sent(rt, mb, session, msg, cls)]
    reason = failed[0].detail
    audit(
        session,
        at=rt.clock.now(),
        kind="command-refused",
        thread=thread,
        mailbox_id=mb.mailbox_id,
        cause=reason,
    )
    what = {"FU": "draft", "FD": "digest"}.get(claim.kind, "notice")
    log.warning(
        "mailbox %s: command on %s %d refused: %s", mb.settings.name, what, claim.draft_id, reason
    )
    lang = mb.settings.rep_language
    shown = say(lang, f"check.{failed[0].name}", detail=reason)
    return [
        tell_rep(
            rt,
            mb,
            say(lang, "refused.subject", subject=thread.subject if thread else msg.subject),
            say(lang, "refused.body", reason=shown),
            msg.message_id,
        )
    ]


def _explain(
    rt: Runtime, mb: MailboxRuntime, thread: Thread, msg: ParsedMessage, text: str
) -> AfterCommit:
    # The notice's token was not used, so the rep may answer the same notice again.
    subject = say(mb.settings.rep_language, "not_understood.subject", subject=thread.subject)
    return tell_rep(rt, mb, subject, text, msg.message_id)
