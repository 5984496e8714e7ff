"""One mail a day listing a rep's drafts (``review = "digest"``), and the rep's answer to it.

Drafts made during the day wait, undecided, for the rep's digest hour (``digest_hour`` in
``rep_timezone``). The digest numbers them; the rep answers ``approve 1 3, skip 2``. The
digest's ``FD-`` token is checked like a review mail's and works once; each number is then
decided like a reply to that draft's own review mail, and one mail lists the outcomes.
Drafts left undecided are listed again, with new numbers, in the next digest.

Under ``unless-objected`` the rep's window to object starts when the digest is sent, so a
draft is never sent before the rep could have seen it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.auth import CommandClaim
from followupd.approval.commands import Command
from followupd.approval.digest import parse_digest
from followupd.approval.policy import parse_policy
from followupd.approval.review import DigestEntry, digest_subject, digest_text
from followupd.approval.texts import say
from followupd.approval.token import make_token, new_nonce
from followupd.classify.base import Classification
from followupd.core import decide, outbound
from followupd.core.draft_commands import redraft
from followupd.core.notices import refuse_unless_genuine
from followupd.core.notify import AfterCommit, mail_rep, tell_rep
from followupd.core.review_mail import REVIEW_RETRY, review_facts
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import OPEN_DRAFT_STATES, audit, stale_reason
from followupd.core.verbs import close_thread, on_paid
from followupd.errors import CommandError
from followupd.mail.build import make_message_id
from followupd.mail.parse import ParsedMessage
from followupd.model import Contact, Digest, Draft, Step, Thread

__all__ = ["arm_digest", "next_digest_at", "on_digest_command", "send_digest"]

log = logging.getLogger(__name__)

# A digest lists at most this many drafts; the rest wait for the next one (answers name
# numbers up to 99, and a longer mail is not read on a phone anyway).
MAX_ENTRIES = 40


def next_digest_at(mb: MailboxRuntime, now: datetime) -> datetime:
    """The next ``digest_hour`` o'clock in the rep's zone, after ``now``."""
    local = now.astimezone(mb.rep_tz)
    at = datetime.combine(local.date(), time(mb.settings.digest_hour), tzinfo=mb.rep_tz)
    if at <= local:
        at = datetime.combine(
            local.date() + timedelta(days=1), time(mb.settings.digest_hour), tzinfo=mb.rep_tz
        )
    return at


def arm_digest(rt: Runtime, mb: MailboxRuntime, at: datetime | None = None) -> None:
    """Arm the mailbox's digest job (one per mailbox, so arming twice is harmless)."""
    when = at or next_digest_at(mb, rt.clock.now())
    mailbox_id = mb.mailbox_id
    rt.scheduler.arm(f"digest:{mailbox_id}", when, lambda: send_digest(rt, mailbox_id))


def arm_digest_action(rt: Runtime, mb: MailboxRuntime) -> AfterCommit:
    async def arm() -> None:
        arm_digest(rt, mb)

    return arm


@dataclass(frozen=True)
class _Prepared:
    digest_id: int
    message_id: str
    subject: str
    text: str


async def send_digest(rt: Runtime, mailbox_id: int) -> None:
    """Number the rep's open drafts in a new digest and mail it."""
    mb = rt.mailboxes.get(mailbox_id)
    if mb is None:
        return
    after: list[AfterCommit] = []
    async with rt.lock, rt.db.transaction() as session:
        prepared = await _prepare(rt, mb, session, after)
    for action in after:
        await action()
    if prepared is None:
        return
    ok = await mail_rep(
        rt,
        mb,
        subject=prepared.subject,
        text=prepared.text,
        kind="digest",
        message_id=prepared.message_id,
    )
    if not ok:
        # The drafts stay open in the database; the next try lists them again.
        arm_digest(rt, mb, rt.clock.now() + REVIEW_RETRY)
        return
    async with rt.db.transaction() as session:
        digest = await session.get(Digest, prepared.digest_id)
        if digest is not None:
            digest.sent_at = rt.clock.now()
        listed = await session.scalars(
            select(Draft).where(
                Draft.digest_id == prepared.digest_id, Draft.review_sent_at.is_(None)
            )
        )
        for draft in listed:
            draft.review_sent_at = rt.clock.now()
    # Drafts the rep leaves undecided are listed again in tomorrow's digest.
    arm_digest(rt, mb)


async def _prepare(
    rt: Runtime, mb: MailboxRuntime, session: AsyncSession, after: list[AfterCommit]
) -> _Prepared | None:
    now = rt.clock.now()
    found = (
        await session.execute(
            select(Draft, Step, Thread)
            .join(Step, Step.id == Draft.step_id)
            .join(Thread, Thread.id == Step.thread_id)
            .where(Thread.mailbox_id == mb.mailbox_id, Draft.state.in_(OPEN_DRAFT_STATES))
            .order_by(Draft.created_at, Draft.id)
        )
    ).all()
    # A draft going out unless the rep objects is listed only while it can still be stopped.
    rows = [
        (d, s, t)
        for d, s, t in found
        if d.state == "pending" or (s.send_at is not None and s.send_at > now)
    ][:MAX_ENTRIES]
    if not rows:
        return None
    nonce = new_nonce()
    digest = Digest(
        mailbox_id=mb.mailbox_id,
        message_id=make_message_id(
            "digest", rt.installation_id, mb.mailbox_id, nonce, domain=mb.domain
        ),
        nonce=nonce,
        created_at=now,
    )
    session.add(digest)
    await session.flush()
    entries = []
    for number, (draft, step, thread) in enumerate(rows, start=1):
        draft.digest_id, draft.digest_number = digest.id, number
        contact = await session.get(Contact, thread.contact_id)
        if contact is None:
            continue
        if draft.state == "pending" and draft.policy and draft.policy.startswith("unless"):
            # The rep sees the draft now: it goes out after the window unless they object.
            window = parse_policy(draft.policy).window or timedelta(0)
            after += await outbound.approve_by_policy(
                rt, mb, session, step, thread, contact, draft, now + window
            )
        facts = await review_facts(rt, mb, session, step, thread, contact, draft)
        entries.append(DigestEntry(number=number, facts=facts))
    token = make_token(rt.config.approval_secret(), digest.id, nonce, kind="FD")
    lang = mb.settings.rep_language
    day = now.astimezone(mb.rep_tz).date()
    return _Prepared(
        digest_id=digest.id,
        message_id=digest.message_id,
        subject=digest_subject(token, len(entries), day, lang),
        text=digest_text(token, entries, lang),
    )


async def on_digest_command(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    cls: Classification,
) -> list[AfterCommit]:
    """Authenticate the answer to a digest, then decide each draft it names."""
    digest = await session.get(Digest, cls.digest_id) if cls.digest_id is not None else None
    if digest is None or digest.mailbox_id != mb.mailbox_id:
        return []
    now = rt.clock.now()
    status = "pending" if digest.used_at is None else f"used on {digest.used_at:%Y-%m-%d %H:%M} UTC"
    claim = CommandClaim(
        draft_id=digest.id,
        nonce=digest.nonce,
        review_message_id=digest.message_id,
        draft_state=status,
        rep_address=mb.settings.rep_address,
        secret=rt.config.approval_secret(),
        kind="FD",
        origin=cls.origin,
    )
    refused = refuse_unless_genuine(rt, mb, session, msg, cls, None, claim)
    if refused is not None:
        return refused
    lang = mb.settings.rep_language
    try:
        choices = parse_digest(msg.text)
    except CommandError as exc:
        return [
            tell_rep(
                rt,
                mb,
                say(lang, "not_understood.subject", subject=msg.subject),
                say(lang, "not_understood.body", detail=str(exc)),
                msg.message_id,
            )
        ]
    digest.used_at = now
    audit(session, at=now, kind="command", mailbox_id=mb.mailbox_id, cause=f"digest {digest.id}")
    listed = {
        d.digest_number: d
        for d in await session.scalars(select(Draft).where(Draft.digest_id == digest.id))
        if d.digest_number is not None
    }
    lines: list[str] = []
    actions: list[AfterCommit] = []
    # "approve all, skip 2": "all" is every listed draft that no other choice names.
    named = {n for c in choices if not c.all for n in c.numbers}
    for choice in choices:
        numbers = [n for n in sorted(listed) if n not in named] if choice.all else choice.numbers
        command = Command(
            verb=choice.verb, evidence=choice.evidence, delay=choice.delay, until=choice.until
        )
        for number in numbers:
            outcome, more = await _decide_one(rt, mb, session, msg, listed.get(number), command)
            lines.append(say(lang, "digest_outcome.line", number=number, outcome=outcome))
            actions += more
    actions.append(
        tell_rep(
            rt,
            mb,
            say(lang, "digest_outcome.subject", count=len(lines)),
            "\n".join(lines) + "\n",
            msg.message_id,
        )
    )
    return actions


async def _decide_one(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    msg: ParsedMessage,
    draft: Draft | None,
    command: Command,
) -> tuple[str, list[AfterCommit]]:
    """The outcome line for one number of the digest, and what to do after the commit."""
    lang = mb.settings.rep_language
    if draft is None:
        return say(lang, "digest_outcome.missing"), []
    step = await session.get(Step, draft.step_id)
    thread = await session.get(Thread, step.thread_id) if step is not None else None
    if step is None or thread is None:
        return say(lang, "digest_outcome.missing"), []
    head = f"{thread.subject}: "
    if draft.state not in OPEN_DRAFT_STATES:
        return head + say(lang, "digest_outcome.decided", state=draft.state), []
    stale = await stale_reason(session, thread, draft)
    if stale is not None:
        return head + say(lang, "digest_outcome.stale", reason=stale), redraft(
            rt, session, draft, step, thread
        )
    verb = command.verb
    if verb in ("stop", "won", "lost"):
        draft.state, draft.decided_at = verb, rt.clock.now()
        return head + verb, await close_thread(rt, mb, session, thread, verb, reply_to=None)
    if verb == "paid":
        return head + verb, await on_paid(rt, mb, session, thread, reply_to=None)
    d = await decide.by_command(rt, mb, session, draft, step, thread, command)
    if d is None:
        return head + say(lang, "digest_outcome.unknown", verb=verb), []
    return head + d.text.strip(), d.actions
