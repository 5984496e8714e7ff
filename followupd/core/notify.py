"""Mail from followupd to the rep: review mails, notices, confirmations.

A notice about a thread is itself a place to give commands: it carries a signed ``FN-``
token, and a reply to it may say ``set <key> <value>``, ``paid``, ``stop``, ``won`` or
``lost``. The notice is recorded before it is sent, so the reply can be checked against it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from followupd.approval.texts import say
from followupd.approval.token import make_token, new_nonce
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.mail.build import build_internal, make_message_id
from followupd.mail.parse import Address
from followupd.model import Notice
from followupd.smtp.sender import SendError

log = logging.getLogger(__name__)


async def mail_rep(
    rt: Runtime,
    mb: MailboxRuntime,
    *,
    subject: str,
    text: str,
    kind: str,
    message_id: str | None = None,
    in_reply_to: str | None = None,
) -> bool:
    """Send a followupd mail to the rep; True when the SMTP server accepted it."""
    s = mb.settings
    rep = Address(name=s.rep_name, email=s.rep_address)
    mid = message_id or make_message_id(kind, secrets.token_hex(8), domain=mb.domain)
    msg = build_internal(
        from_=Address(name="followupd", email=s.rep_address),
        to=rep,
        subject=subject,
        text=text,
        message_id=mid,
        date=rt.clock.now(),
        kind=kind,
        in_reply_to=in_reply_to,
        references=(in_reply_to,) if in_reply_to else (),
    )
    try:
        raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        await mb.rep_sender.send(raw, sender=s.rep_address, recipients=[s.rep_address])
    except SendError as exc:
        log.warning("mailbox %s: %s mail to rep failed: %s", s.name, kind, exc)
        return False
    return True


AfterCommit = Callable[[], Awaitable[None]]


def tell_rep(
    rt: Runtime,
    mb: MailboxRuntime,
    subject: str,
    text: str,
    in_reply_to: str | None = None,
    *,
    thread_id: int | None = None,
) -> AfterCommit:
    """An action that mails the rep a notice; run it after the decision is committed.

    With ``thread_id`` the notice takes commands about that thread (see the module doc).
    """

    async def send() -> None:
        if thread_id is not None:
            await mail_notice(
                rt, mb, thread_id, subject=subject, text=text, in_reply_to=in_reply_to
            )
        else:
            await mail_rep(
                rt, mb, subject=subject, text=text, kind="notice", in_reply_to=in_reply_to
            )

    return send


async def mail_notice(
    rt: Runtime,
    mb: MailboxRuntime,
    thread_id: int,
    *,
    subject: str,
    text: str,
    in_reply_to: str | None = None,
) -> bool:
    """Record a notice about ``thread_id``, then mail it with its token and the commands."""
    nonce = new_nonce()
    message_id = make_message_id("notice", rt.installation_id, thread_id, nonce, domain=mb.domain)
    try:
        async with rt.db.transaction() as session:
            notice = Notice(
                mailbox_id=mb.mailbox_id,
                thread_id=thread_id,
                message_id=message_id,
                nonce=nonce,
                subject=subject[:500],
                created_at=rt.clock.now(),
            )
            session.add(notice)
            await session.flush()
            notice_id = notice.id
    except SQLAlchemyError as exc:
        # The rep still gets the news; only the reply-to-command part is missing.
        log.warning(
            "mailbox %s: notice not recorded (%s); sent without commands", mb.settings.name, exc
        )
        return await mail_rep(
            rt, mb, subject=subject, text=text, kind="notice", in_reply_to=in_reply_to
        )
    token = make_token(rt.config.approval_secret(), notice_id, nonce, kind="FN")
    lang = mb.settings.rep_language
    # The commands and the token line close every notice, below a signature separator.
    body = (
        f"{text.rstrip()}\n{say(lang, 'notice.commands')}"
        f"{say(lang, 'notice.keep_token', token=token)}\n"
    )
    return await mail_rep(
        rt,
        mb,
        subject=subject,
        text=body,
        kind="notice",
        message_id=message_id,
        in_reply_to=in_reply_to,
    )
