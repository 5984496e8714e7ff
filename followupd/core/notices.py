"""The rep answered a notice about a thread: ``set``, ``paid``, ``stop``, ``won`` or ``lost``.

Notices ("Tracking: …", "Updated: …", reminders) carry an ``FN-`` token. A reply to one is
checked like a reply to a review mail (it answers that notice, carries its token, comes from
the rep, and the token is unused and not older than ``NOTICE_TTL``), then obeyed. There is no
draft in a notice, so ``approve`` and ``skip`` are explained, not obeyed.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.auth import NOTICE_TTL, CommandClaim, refusal
from followupd.approval.commands import parse_command
from followupd.classify.base import Classification
from followupd.core.corrections import on_set
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import audit
from followupd.core.verbs import close_thread, on_paid
from followupd.errors import CommandError
from followupd.mail.parse import ParsedMessage
from followupd.model import Notice, Thread

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
    )
    refused = refuse_unless_genuine(rt, mb, session, msg, thread, claim)
    if refused is not None:
        return refused
    try:
        command = parse_command(msg.text)
    except CommandError as exc:
        return [_explain(rt, mb, thread, msg, f"{exc}\nNothing was changed.\n")]
    if command.verb == "approve" or command.verb == "skip":
        return [
            _explain(
                rt,
                mb,
                thread,
                msg,
                f"'{command.verb}' decides a draft, and this mail has none. Answer the review "
                "mail of the draft instead. Nothing was changed.\n",
            )
        ]
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
    return await close_thread(rt, mb, session, thread, command.verb, reply_to=msg.message_id)


def refuse_unless_genuine(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    thread: Thread,
    claim: CommandClaim,
) -> list[AfterCommit] | None:
    """None when the reply passes every check of ``claim``; else audit, log, tell the rep.

    The explanation goes to the rep's configured address, never to the reply's From.
    """
    reason = refusal(msg, claim)
    if reason is None:
        return None
    audit(session, at=rt.clock.now(), kind="command-refused", thread=thread, cause=reason)
    what = "draft" if claim.kind == "FU" else "notice"
    log.warning(
        "mailbox %s: command on %s %d refused: %s", mb.settings.name, what, claim.draft_id, reason
    )
    return [
        tell_rep(
            rt,
            mb,
            f"Command refused: {thread.subject}",
            f"followupd did not obey your reply because {reason}.\nNothing was changed.\n",
            msg.message_id,
        )
    ]


def _explain(
    rt: Runtime, mb: MailboxRuntime, thread: Thread, msg: ParsedMessage, text: str
) -> AfterCommit:
    # The notice's token was not used, so the rep may answer the same notice again.
    return tell_rep(rt, mb, f"Command not understood: {thread.subject}", text, msg.message_id)
