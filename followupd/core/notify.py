"""Mail from followupd to the rep: review mails, notices, confirmations."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.mail.build import build_internal, make_message_id
from followupd.mail.parse import Address
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
        await mb.sender.send(msg, sender=s.rep_address, recipients=[s.rep_address])
    except SendError as exc:
        log.warning("mailbox %s: %s mail to rep failed: %s", s.name, kind, exc)
        return False
    return True


AfterCommit = Callable[[], Awaitable[None]]


def tell_rep(
    rt: Runtime, mb: MailboxRuntime, subject: str, text: str, in_reply_to: str | None = None
) -> AfterCommit:
    """An action that mails the rep a notice; run it after the decision is committed."""

    async def send() -> None:
        await mail_rep(rt, mb, subject=subject, text=text, kind="notice", in_reply_to=in_reply_to)

    return send
