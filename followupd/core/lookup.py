"""Database look-ups around the pure classifier: what a message's ids refer to.

Used by the daemon for each fetched message (one mailbox) and by ``followupd classify --db``
(all mailboxes).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.classify.base import Classification, ClassifyContext
from followupd.mail.parse import ParsedMessage
from followupd.mail.subject import thread_key
from followupd.model import Contact, Digest, Draft, Notice, Step, Thread

# Machine mail names the message it is about in its headers or in its report part.
MACHINE_LABELS = frozenset({"bounce", "read_receipt", "auto_reply"})


async def classify_context(
    session: AsyncSession,
    parsed: ParsedMessage,
    *,
    mailbox_id: int | None,
    rep_addresses: Iterable[str],
    cadences: Iterable[str],
    sent: bool = False,
) -> ClassifyContext:
    """The context for classifying ``parsed``: which of its ids are ours.

    ``sent``: the message is from the rep's Sent folder. Its own Message-ID is looked up too
    (it may be a tracked mail), and subjects are matched for its recipients' domains, since
    the buyer is the one written to.
    """
    ids = [*parsed.in_reply_to, *parsed.references]
    if sent and parsed.message_id:
        ids.append(parsed.message_id)
    review_ids: dict[str, int] = {}
    notice_ids: dict[str, int] = {}
    digest_ids: dict[str, int] = {}
    thread_ids: dict[str, int] = {}
    if ids:
        rows = await session.execute(
            select(Draft.review_message_id, Draft.id).where(Draft.review_message_id.in_(ids))
        )
        review_ids = {mid: draft_id for mid, draft_id in rows}
        notices = await session.execute(
            select(Notice.message_id, Notice.id).where(Notice.message_id.in_(ids))
        )
        notice_ids = {mid: notice_id for mid, notice_id in notices}
        digests = await session.execute(
            select(Digest.message_id, Digest.id).where(Digest.message_id.in_(ids))
        )
        digest_ids = {mid: digest_id for mid, digest_id in digests}
        roots_q = select(Thread.root_message_id, Thread.id).where(Thread.root_message_id.in_(ids))
        if mailbox_id is not None:
            roots_q = roots_q.where(Thread.mailbox_id == mailbox_id)
        roots = await session.execute(roots_q)
        followups = await session.execute(
            select(Step.message_id, Step.thread_id).where(Step.message_id.in_(ids))
        )
        thread_ids = {mid: tid for mid, tid in [*roots, *followups] if mid is not None}
    return ClassifyContext(
        rep_addresses=frozenset(rep_addresses),
        review_ids=review_ids,
        notice_ids=notice_ids,
        digest_ids=digest_ids,
        thread_ids=thread_ids,
        known_cadences=frozenset(cadences),
        subject_threads=await _subject_threads(
            session, _recipient_domains(parsed) if sent else _author_domain(parsed), mailbox_id
        ),
    )


def _author_domain(parsed: ParsedMessage) -> list[str]:
    author = parsed.from_ or parsed.sender
    if author is None or "@" not in author.email:
        return []
    return [author.email.rpartition("@")[2]]


def _recipient_domains(parsed: ParsedMessage) -> list[str]:
    return sorted({a.email.rpartition("@")[2] for a in (*parsed.to, *parsed.cc) if "@" in a.email})


async def _subject_threads(
    session: AsyncSession, domains: list[str], mailbox_id: int | None
) -> dict[tuple[str, str], int]:
    """(domain, subject key) -> newest thread, for the threads of those buyer companies."""
    if not domains:
        return {}
    query = (
        select(Contact.domain, Thread.subject, Thread.id)
        .join(Contact, Contact.id == Thread.contact_id)
        .where(Contact.domain.in_(domains))
        .order_by(Thread.id)
    )
    if mailbox_id is not None:
        query = query.where(Thread.mailbox_id == mailbox_id)
    # Later threads overwrite earlier ones with the same subject: the newest one wins.
    return {
        (domain, thread_key(subject)): tid for domain, subject, tid in await session.execute(query)
    }


async def thread_of(
    session: AsyncSession,
    parsed: ParsedMessage,
    result: Classification,
    ctx: ClassifyContext,
    *,
    mailbox_id: int | None,
) -> int | None:
    """The tracked thread machine mail is about: by its headers, else by its report part."""
    for mid in (*parsed.in_reply_to, *reversed(parsed.references)):
        if mid in ctx.thread_ids:
            return ctx.thread_ids[mid]
    named = [
        facts.original_message_id
        for facts in (result.bounce, result.receipt)
        if facts is not None and facts.original_message_id
    ]
    if not named:
        return None
    roots_q = select(Thread.id).where(Thread.root_message_id.in_(named))
    if mailbox_id is not None:
        roots_q = roots_q.where(Thread.mailbox_id == mailbox_id)
    root = await session.scalar(roots_q)
    if root is not None:
        return root
    return await session.scalar(select(Step.thread_id).where(Step.message_id.in_(named)))
