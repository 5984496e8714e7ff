"""The review mail of one draft: what it tells the rep, sending it, and sending it again.

A review mail that could not be sent is tried again later; the draft waits in the database
meanwhile (and a restart tries again, see ``rebuild``). In digest mode there is no review
mail: the draft waits for the rep's digest instead.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.review import ReviewFacts, review_subject, review_text
from followupd.approval.token import make_token
from followupd.core.history import thread_history
from followupd.core.notify import AfterCommit, mail_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step
from followupd.core.threads import OPEN_DRAFT_STATES
from followupd.model import Contact, Draft, Step, Thread

__all__ = ["REVIEW_RETRY", "resend_review", "review_facts", "send_review"]

# A review mail (or digest) the SMTP server did not take is tried again after this long.
REVIEW_RETRY = timedelta(minutes=15)


async def review_facts(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    draft: Draft,
) -> ReviewFacts:
    """What the review mail (or digest entry) of ``draft`` tells the rep."""
    if step.state == "approved" and step.send_at is not None:
        send_at = step.send_at
    else:
        slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=step.due_at)
        send_at = slot.send_at_utc
    return ReviewFacts(
        token=make_token(rt.config.approval_secret(), draft.id, draft.nonce),
        step_number=step.number - thread.step_base,
        steps_total=len(rt.cadences[thread.cadence].steps),
        cadence=thread.cadence,
        buyer_name=contact.name or contact.email,
        buyer_email=contact.email,
        buyer_company=contact.company or "",
        buyer_country=contact.country or contact.zone_country or "",
        buyer_tz=rt.buyer_tz(contact.timezone),
        rep_tz=mb.rep_tz,
        thread_subject=thread.subject,
        enrolled_at=thread.created_at,
        now=rt.clock.now(),
        send_at=send_at,
        zone_source=contact.timezone_source or "",
        draft_subject=draft.subject,
        draft_text=draft.text,
        history=await thread_history(session, thread),
        language=mb.settings.rep_language,
        objection_until=send_at if draft.state == "objectable" else None,
    )


def send_review(
    rt: Runtime, mb: MailboxRuntime, draft_id: int, review_id: str, facts: ReviewFacts
) -> AfterCommit:
    async def send() -> None:
        ok = await mail_rep(
            rt,
            mb,
            subject=review_subject(facts),
            text=review_text(facts),
            kind="review",
            message_id=review_id,
        )
        if not ok:
            # The draft waits in the database; try the review mail again later.
            rt.scheduler.arm(
                f"review:{draft_id}",
                rt.clock.now() + REVIEW_RETRY,
                lambda: resend_review(rt, draft_id),
            )
            return
        async with rt.db.transaction() as session:
            draft = await session.get(Draft, draft_id)
            if draft is not None:
                draft.review_sent_at = rt.clock.now()

    return send


async def resend_review(rt: Runtime, draft_id: int) -> None:
    """Send again the review mail of a pending draft whose first attempt failed."""
    async with rt.db.transaction() as session:
        draft = await session.get(Draft, draft_id)
        if (
            draft is None
            or draft.state not in OPEN_DRAFT_STATES
            or draft.review_sent_at is not None
        ):
            return
        step = await session.get(Step, draft.step_id)
        thread = await session.get(Thread, step.thread_id) if step else None
        contact = await session.get(Contact, thread.contact_id) if thread else None
        if step is None or thread is None or contact is None:
            return
        mb = rt.mailboxes[thread.mailbox_id]
        if mb.settings.review == "digest":
            # Imported here: the digest lists its drafts with this module's facts.
            from followupd.core.digest import arm_digest

            # The review mail was never sent: the draft belongs in the digest instead.
            arm_digest(rt, mb)
            return
        facts = await review_facts(rt, mb, session, step, thread, contact, draft)
    await send_review(rt, mb, draft_id, draft.review_message_id, facts)()
