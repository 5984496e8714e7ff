"""Every message the watcher fetches goes through here, once.

parse → look up what the message refers to → classify (pure) → record → the handler of its
label. Any failure of one message is caught at this one boundary: the message is quarantined
with the reason (it also stays untouched in the mailbox) and processing goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.commands import strip_quoted
from followupd.classify.base import Classification
from followupd.classify.pipeline import DETECTORS, SENT_DETECTORS, classify
from followupd.core import enrollment, handlers, machine
from followupd.core.index import store_index
from followupd.core.lookup import MACHINE_LABELS, classify_context, thread_of
from followupd.core.notify import AfterCommit
from followupd.core.origin import gather_origin
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import learn_zone
from followupd.errors import MailParseError
from followupd.imap.deliveries import CursorMoved, Delivery, Fetched, Indexed
from followupd.mail.parse import ParsedMessage, parse_message
from followupd.model import Contact, FolderCursor, KnownMessage, Message, Outbox, Quarantine

log = logging.getLogger(__name__)

Handler = Callable[
    [Runtime, MailboxRuntime, AsyncSession, ParsedMessage, Classification],
    Awaitable[list[AfterCommit]],
]

# What to do with each label: the dispatch is data. Labels without an entry are only recorded.
DISPATCH: dict[str, Handler] = {
    "command": handlers.on_command,
    "enrollment": enrollment.on_enrollment,
    "bounce": machine.on_bounce,
    "read_receipt": machine.on_read_receipt,
    "auto_reply": machine.on_auto_reply,
    "reply": handlers.on_reply,
    "rep_reply": handlers.on_rep_reply,
}


async def handle_delivery(rt: Runtime, mb: MailboxRuntime, item: Delivery) -> None:
    """Process one delivery from the watcher; never raises for a bad message."""
    if isinstance(item, Indexed):
        try:
            await store_index(
                rt.db,
                mailbox_id=mb.mailbox_id,
                folder=item.folder,
                uidvalidity=item.uidvalidity,
                rows=item.rows,
            )
        except Exception:
            # The index is a help, not the truth: losing a batch loses no mail.
            log.exception("mailbox %s: could not index %s", mb.settings.name, item.folder)
        return
    if isinstance(item, CursorMoved):
        async with rt.db.transaction() as session:
            await _save_cursor(
                session, mb, item.folder, item.cursor.uidvalidity, item.cursor.last_uid
            )
        return
    after: list[AfterCommit] = []
    try:
        async with rt.lock, rt.db.transaction() as session:
            after = await _process(rt, mb, session, item)
    except Exception as exc:
        log.exception("mailbox %s: message %s/%d failed", mb.settings.name, item.folder, item.uid)
        await _quarantine(rt, mb, item, None, f"internal error: {type(exc).__name__}: {exc}")
        return
    for action in after:
        try:
            await action()
        except Exception:
            log.exception(
                "mailbox %s: follow-up action after %s/%d failed",
                mb.settings.name,
                item.folder,
                item.uid,
            )


async def _process(
    rt: Runtime, mb: MailboxRuntime, session: AsyncSession, item: Fetched
) -> list[AfterCommit]:
    known = await session.scalar(
        select(Message.id).where(
            Message.mailbox_id == mb.mailbox_id,
            Message.folder == item.folder,
            Message.uidvalidity == item.uidvalidity,
            Message.uid == item.uid,
        )
    )
    if known is not None:
        return []  # already processed before a restart
    try:
        parsed = parse_message(item.raw)
    except MailParseError as exc:
        await _add_quarantine(session, mb, item, None, str(exc), rt)
        await _save_cursor(session, mb, item.folder, item.uidvalidity, item.uid)
        log.warning(
            "mailbox %s: %s/%d quarantined: %s", mb.settings.name, item.folder, item.uid, exc
        )
        return []
    copy_of = await _seen_message_id(session, mb, parsed, item) if parsed.message_id else None
    if copy_of is not None:
        # The same message seen again: a rule moved it to another watched folder, the inbox
        # and Sent copies of one mail, or a folder read again after a UIDVALIDITY change.
        # It was handled the first time; recording the sighting keeps restarts idempotent.
        session.add(
            _message_row(rt, mb, item, parsed, None, "copy", {"copy_of": copy_of or "(sent)"})
        )
        await _save_cursor(session, mb, item.folder, item.uidvalidity, item.uid)
        return []
    result = await classify_parsed(rt, mb, session, parsed, sent=item.role == "sent")
    session.add(_message_row(rt, mb, item, parsed, result.thread_id, result.label, result.evidence))
    log.info(
        "mailbox %s: %s/%d <%s> is %s",
        mb.settings.name,
        item.folder,
        item.uid,
        parsed.message_id,
        result.label,
    )
    handler = DISPATCH.get(result.label)
    after = await handler(rt, mb, session, parsed, result) if handler else []
    if result.label in _FROM_BUYERS and parsed.from_ is not None:
        contact = await session.scalar(select(Contact).where(Contact.email == parsed.from_.email))
        if contact is not None:
            # Their Date header votes on their zone; a reply's own text may hold a phone number.
            own = strip_quoted(parsed.text) if result.label == "reply" else None
            await learn_zone(
                session,
                contact,
                default_zone=rt.default_tz.key,
                at=rt.clock.now(),
                signature=own,
            )
    await _save_cursor(session, mb, item.folder, item.uidvalidity, item.uid)
    return after


async def classify_parsed(
    rt: Runtime, mb: MailboxRuntime, session: AsyncSession, parsed: ParsedMessage, *, sent: bool
) -> Classification:
    """Label ``parsed`` (read from a Sent folder when ``sent``), with the proofs of origin of
    a command and the thread of machine mail."""
    ctx = await classify_context(
        session,
        parsed,
        mailbox_id=mb.mailbox_id,
        rep_addresses=[mb.settings.rep_address],
        cadences=rt.cadences,
        sent=sent,
    )
    result = classify(parsed, ctx, SENT_DETECTORS if sent else DETECTORS)
    if result.label == "command":
        # Only the rep's answers to our mails get here; DKIM may wait on DNS (bounded).
        origin = await gather_origin(rt, mb, parsed.raw, from_sent=sent)
        result = replace(result, origin=origin)
    if result.thread_id is None and result.label in MACHINE_LABELS:
        thread_id = await thread_of(session, parsed, result, ctx, mailbox_id=mb.mailbox_id)
        result = replace(result, thread_id=thread_id)
    return result


# Mail written by (or for) a buyer: its Date header tells the buyer's UTC offset.
_FROM_BUYERS = frozenset({"reply", "auto_reply", "read_receipt"})


def _message_row(
    rt: Runtime,
    mb: MailboxRuntime,
    item: Fetched,
    parsed: ParsedMessage,
    thread_id: int | None,
    label: str,
    evidence: Mapping[str, str],
) -> Message:
    return Message(
        mailbox_id=mb.mailbox_id,
        thread_id=thread_id,
        message_id=parsed.message_id,
        folder=item.folder,
        uidvalidity=item.uidvalidity,
        uid=item.uid,
        direction="out" if item.role == "sent" else "in",
        label=label,
        evidence=json.dumps(dict(evidence), ensure_ascii=False),
        at=rt.clock.now(),
        from_addr=parsed.from_.email[:320] if parsed.from_ else None,
        sent_at=parsed.date,
        utc_offset=_offset_minutes(parsed.date),
    )


def _offset_minutes(when: datetime | None) -> int | None:
    offset = when.utcoffset() if when is not None else None
    return int(offset.total_seconds() // 60) if offset is not None else None


async def _seen_message_id(
    session: AsyncSession, mb: MailboxRuntime, p: ParsedMessage, item: Fetched
) -> str | None:
    """The folder where this Message-ID was handled before ("" for mail we sent), or None.

    A folder read again after a UIDVALIDITY change also holds mail that predates followupd;
    the header index knows those.
    """
    found = (
        await session.execute(
            select(Message.folder)
            .where(Message.mailbox_id == mb.mailbox_id, Message.message_id == p.message_id)
            .limit(1)
        )
    ).first()
    if found is None:
        # A follow-up of ours in Sent (filed by the provider or by us) may be read before the
        # send is recorded; its outbox row exists from before the first byte was sent.
        ours = await session.scalar(
            select(Outbox.id).where(
                Outbox.mailbox_id == mb.mailbox_id, Outbox.message_id == p.message_id
            )
        )
        if ours is not None:
            return ""
    if found is None and item.resync:
        found = (
            await session.execute(
                select(KnownMessage.folder)
                .where(
                    KnownMessage.mailbox_id == mb.mailbox_id,
                    KnownMessage.message_id == p.message_id,
                )
                .limit(1)
            )
        ).first()
    return None if found is None else (found[0] or "")


async def _save_cursor(
    session: AsyncSession, mb: MailboxRuntime, folder: str, uidvalidity: int, uid: int
) -> None:
    cursor = await session.scalar(
        select(FolderCursor).where(
            FolderCursor.mailbox_id == mb.mailbox_id, FolderCursor.folder == folder
        )
    )
    if cursor is None:
        session.add(
            FolderCursor(
                mailbox_id=mb.mailbox_id, folder=folder, uidvalidity=uidvalidity, last_uid=uid
            )
        )
    elif cursor.uidvalidity != uidvalidity:
        cursor.uidvalidity, cursor.last_uid = uidvalidity, uid
    else:
        cursor.last_uid = max(cursor.last_uid, uid)


async def _add_quarantine(
    session: AsyncSession,
    mb: MailboxRuntime,
    item: Fetched,
    message_id: str | None,
    reason: str,
    rt: Runtime,
) -> None:
    session.add(
        Quarantine(
            mailbox_id=mb.mailbox_id,
            folder=item.folder,
            uidvalidity=item.uidvalidity,
            uid=item.uid,
            message_id=message_id,
            reason=reason[:2000],
            raw=item.raw,
            at=rt.clock.now(),
        )
    )


async def _quarantine(
    rt: Runtime, mb: MailboxRuntime, item: Fetched, message_id: str | None, reason: str
) -> None:
    """Quarantine in a fresh transaction, after the message's own transaction failed."""
    try:
        async with rt.db.transaction() as session:
            exists = await session.scalar(
                select(Quarantine.id).where(
                    Quarantine.mailbox_id == mb.mailbox_id,
                    Quarantine.folder == item.folder,
                    Quarantine.uidvalidity == item.uidvalidity,
                    Quarantine.uid == item.uid,
                )
            )
            if exists is None:
                await _add_quarantine(session, mb, item, message_id, reason, rt)
            await _save_cursor(session, mb, item.folder, item.uidvalidity, item.uid)
    except Exception:
        log.exception(
            "mailbox %s: could not quarantine %s/%d", mb.settings.name, item.folder, item.uid
        )
