"""Commands that wait for their copy in the rep's Sent folder.

A reply whose origin only its Sent copy can prove waits up to ``sent_wait_seconds`` for the
rep's client to save that copy. The reply is kept in ``awaiting_origin`` meanwhile, because
its own message was already recorded as processed: without the row, a restart during the
wait would forget the command and the rep would get no answer. At start, each kept reply is
classified again and its search resumed; the row goes in the transaction that decides.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.classify.base import Classification
from followupd.core.notify import AfterCommit
from followupd.core.origin import find_in_sent
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.errors import MailParseError
from followupd.mail.parse import ParsedMessage, parse_message
from followupd.model import AwaitingOrigin

__all__ = ["resume_awaiting", "wait_for_sent"]

log = logging.getLogger(__name__)


def wait_for_sent(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> AfterCommit:
    """Keep ``msg`` (it has a Message-ID) and decide it once its Sent copy is looked for."""
    assert msg.message_id is not None
    session.add(
        AwaitingOrigin(
            mailbox_id=mb.mailbox_id, message_id=msg.message_id, raw=msg.raw, since=rt.clock.now()
        )
    )

    async def later() -> None:
        _arm(rt, mb, msg, cls)

    return later


def _arm(rt: Runtime, mb: MailboxRuntime, msg: ParsedMessage, cls: Classification) -> None:
    async def search_then_decide() -> None:
        # Imported here: the command handler itself calls this module.
        from followupd.core.handlers import on_command

        assert cls.origin is not None and msg.message_id is not None
        proof = await find_in_sent(rt, mb, msg)
        if not proof.ok and rt.scheduler.stopping:
            # Cut short by a stop: the kept reply is searched for again at the next start.
            return
        log.info("mailbox %s: Sent folder proof of a command: %s", mb.settings.name, proof.detail)
        decided = replace(cls, origin=replace(cls.origin, sent=proof))
        async with rt.lock, rt.db.transaction() as session:
            kept = (
                await session.scalars(
                    select(AwaitingOrigin).where(
                        AwaitingOrigin.mailbox_id == mb.mailbox_id,
                        AwaitingOrigin.message_id == msg.message_id,
                    )
                )
            ).all()
            if not kept:
                return  # decided already (the same reply read twice)
            for row in kept:
                await session.delete(row)
            after = await on_command(rt, mb, session, msg, decided)
        for action in after:
            await action()

    # A scheduler job rather than a wait in the handler: the search may take a while and
    # must not hold up the mail behind this one (a buyer's reply, say).
    rt.scheduler.arm(f"origin:{msg.message_id}", rt.clock.now(), search_then_decide)


async def resume_awaiting(rt: Runtime) -> int:
    """Resume the Sent-folder search of every kept command; return how many."""
    # Imported here: classifying needs the inbound module, which reaches this one.
    from followupd.core.inbound import classify_parsed

    resumed = 0
    async with rt.db.transaction() as session:
        rows = (
            await session.scalars(
                select(AwaitingOrigin)
                .where(AwaitingOrigin.mailbox_id.in_(list(rt.mailboxes)))
                .order_by(AwaitingOrigin.id)
            )
        ).all()
        for row in rows:
            mb = rt.mailboxes[row.mailbox_id]
            try:
                msg = parse_message(row.raw)
                cls = await classify_parsed(rt, mb, session, msg, sent=False)
            except MailParseError as exc:
                # It was parsed once; a row that no longer parses is dropped, not retried.
                log.warning("mailbox %s: a kept command is unreadable: %s", mb.settings.name, exc)
                await session.delete(row)
                continue
            if cls.label != "command" or cls.origin is None or msg.message_id is None:
                log.warning(
                    "mailbox %s: a kept reply no longer reads as a command (%s); dropped",
                    mb.settings.name,
                    cls.label,
                )
                await session.delete(row)
                continue
            _arm(rt, mb, msg, cls)
            resumed += 1
    if resumed:
        log.info("resumed the Sent-folder search of %d command(s)", resumed)
    return resumed
