"""Due steps: draft them for the rep, send approved ones to the buyer.

Jobs are armed per step (``draft:<id>`` at the due date, ``send:<id>`` at the chosen slot)
and re-read everything from the database when they fire, so a job that is stale, duplicated
or rebuilt after a restart does nothing wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.policy import choose_policy
from followupd.approval.texts import say
from followupd.approval.token import new_nonce
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.review_mail import review_facts, send_review
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step
from followupd.core.threads import (
    audit,
    plan_next,
    thread_facts,
    transition,
)
from followupd.errors import MissingData, TemplateError
from followupd.mail.build import make_message_id, reply_subject
from followupd.model import Contact, Draft, Event, Step, Thread
from followupd.sequence.states import ThreadState
from followupd.templating.context import company_from_settings, draft_context
from followupd.templating.locale import choose_language
from followupd.templating.render import RenderedMail, render

log = logging.getLogger(__name__)

# A send whose slot passed by more than this (the daemon was down) gets a new slot instead of
# going out at whatever hour it is now in the buyer's zone.
MISSED_SLOT = timedelta(minutes=30)
# How long to wait for the mailbox re-check before a send.
RECHECK_TIMEOUT = 60.0
RETRY_DELAY = timedelta(minutes=15)
# A job firing this much before its step's due time belongs to an earlier plan.
STALE_JOB = timedelta(minutes=1)
# A step that lacks data (e.g. the validity date) is looked at again this often.
DATA_RETRY = timedelta(days=1)
# What the rep sets (`followupd thread set ID key=value`) to fill in a template variable.
SET_KEYS = {
    "thread.validity_date": "validity",
    "thread.amount": "amount",
    "thread.currency": "currency",
    "thread.document_ref": "ref",
    "thread.incoterm": "incoterm",
    "thread.payment_terms": "payment",
    "thread.shipment_date": "shipment",
    "thread.lead_time": "shipment",
    "thread.products": "products",
    "thread.event": "event",
    "thread.tracking_number": "tracking",
    "thread.carrier": "carrier",
}


def arm_step(rt: Runtime, step_id: int, state: str, at: datetime) -> None:
    """Arm the job that moves a step on from ``state``."""
    # Imported here: sending needs this module's helpers, and arming needs the send job.
    from followupd.core.send import send_step

    if state == "planned":
        rt.scheduler.arm(f"draft:{step_id}", at, lambda: draft_step(rt, step_id))
    elif state in ("approved", "sending"):
        rt.scheduler.arm(f"send:{step_id}", at, lambda: send_step(rt, step_id))


def arm_step_action(rt: Runtime, step_id: int, state: str, at: datetime) -> AfterCommit:
    async def arm() -> None:
        arm_step(rt, step_id, state, at)

    return arm


def disarm_action(rt: Runtime, step_ids: Sequence[int]) -> AfterCommit:
    async def disarm() -> None:
        for sid in step_ids:
            rt.scheduler.disarm(f"draft:{sid}")
            rt.scheduler.disarm(f"send:{sid}")

    return disarm


async def _load(session: AsyncSession, step_id: int) -> tuple[Step, Thread, Contact] | None:
    step = await session.get(Step, step_id)
    thread = await session.get(Thread, step.thread_id) if step else None
    contact = await session.get(Contact, thread.contact_id) if thread else None
    if step is None or thread is None or contact is None:
        return None
    return step, thread, contact


def template_context(
    rt: Runtime,
    mb: MailboxRuntime,
    thread: Thread,
    contact: Contact,
    step: Step,
    language: str = "en",
) -> dict[str, object]:
    """The variables a template sees; unknown values are left out, never blank.

    The rep's notes on the thread are not among them: buyer-visible text never carries them.
    """
    return draft_context(
        thread=thread,
        contact=contact,
        language=language,
        rep={
            "name": mb.settings.rep_name,
            "email": mb.settings.rep_address,
            "phone": mb.settings.rep_phone,
        },
        company=company_from_settings(rt.config.settings.company, today=rt.clock.now().date()),
        step_number=step.number - thread.step_base,
        step_total=len(rt.cadences[thread.cadence].steps),
    )


async def draft_step(rt: Runtime, step_id: int) -> None:
    """A step is due: render it; mail the rep a review (e-mail step) or a reminder (task)."""
    after: list[AfterCommit] = []
    async with rt.lock, rt.db.transaction() as session:
        loaded = await _load(session, step_id)
        if loaded is None:
            return
        step, thread, contact = loaded
        if step.state != "planned" or thread.state != ThreadState.ACTIVE.value:
            return
        mb = rt.mailboxes[thread.mailbox_id]
        now = rt.clock.now()
        if step.due_at > now + STALE_JOB:
            # The step was planned again for later (a corrected date): this job is stale.
            arm_step(rt, step.id, "planned", step.due_at)
            return
        try:
            mail = await _render_step(rt, mb, session, step, thread, contact)
        except MissingData as exc:
            after += await _waiting_for_data(rt, mb, session, step, thread, exc)
        except TemplateError as exc:
            step.state = "failed"
            audit(session, at=now, kind="draft-failed", thread=thread, cause=str(exc))
            lang = mb.settings.rep_language
            after.append(
                tell_rep(
                    rt,
                    mb,
                    say(lang, "cannot_draft.subject", subject=thread.subject),
                    say(lang, "cannot_draft.body", number=step.number, error=exc),
                )
            )
        else:
            if step.kind == "task":
                after += await _task_done(rt, mb, session, step, thread, mail.subject, mail.text)
            else:
                after += await _new_draft(
                    rt, mb, session, step, thread, contact, mail.text, mail.html
                )
    for action in after:
        await action()


async def _render_step(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
) -> RenderedMail:
    """Render the step's template, or the next candidate of its cadence step that can be.

    A candidate that needs data the thread lacks gives way to the next one not yet sent; if
    none can be rendered, the first one's MissingData is raised.
    """
    cadence = rt.cadences[thread.cadence]
    index = step.number - thread.step_base - 1
    defined = cadence.steps[index] if 0 <= index < len(cadence.steps) else None
    used = (await thread_facts(session, thread, rt.default_tz)).used
    others = [t for t in (defined.templates if defined else ()) if t != step.template]
    first_missing: MissingData | None = None
    for template_id in [step.template, *[t for t in others if t not in used]]:
        language = choose_language(
            contact.country or contact.zone_country,
            rt.library.languages(template_id),
            previous=contact.language,
            fallback=mb.settings.language,
        )
        template = rt.library.get(template_id, language)
        try:
            mail = render(
                template, template_context(rt, mb, thread, contact, step, template.meta.language)
            )
        except MissingData as exc:
            first_missing = first_missing or exc
            continue
        if template_id != step.template:
            audit(
                session,
                at=rt.clock.now(),
                kind="template-switched",
                thread=thread,
                cause=f"step {step.number}: {step.template} lacks data ({first_missing}); "
                f"using {template_id}",
            )
            step.template = template_id
        return mail
    assert first_missing is not None
    raise first_missing


async def _waiting_for_data(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    exc: MissingData,
) -> list[AfterCommit]:
    """Hold the step until the rep fills in what it needs; ask once, look again daily."""
    now = rt.clock.now()
    asked = await session.scalar(
        select(Event.id).where(
            Event.thread_id == thread.id,
            Event.kind == "draft-waiting",
            Event.cause.startswith(f"step {step.number}:"),
        )
    )
    audit(session, at=now, kind="draft-waiting", thread=thread, cause=f"step {step.number}: {exc}")
    # Moved, not only re-armed: a restart or reload arms the step at its due time again.
    step.due_at = now + DATA_RETRY
    actions = [arm_step_action(rt, step.id, "planned", step.due_at)]
    if asked is None:
        keys = sorted({SET_KEYS.get(name, name) for name in exc.names}) or ["<key>"]
        lang = mb.settings.rep_language
        actions.append(
            tell_rep(
                rt,
                mb,
                say(lang, "needs_input.subject", subject=thread.subject),
                say(
                    lang,
                    "needs_input.body",
                    number=step.number,
                    subject=thread.subject,
                    problem=exc,
                    key=keys[0],
                    one_per_reply=say(lang, "needs_input.one_per_reply") if len(keys) > 1 else "",
                    thread_id=thread.id,
                    example=" ".join(f"{k}=…" for k in keys),
                ),
                thread_id=thread.id,
            )
        )
    return actions


async def _task_done(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    subject: str,
    text: str,
) -> list[AfterCommit]:
    now = rt.clock.now()
    step.state = "done"
    thread.steps_done += 1
    thread.last_touch_at = now
    audit(session, at=now, kind="task", thread=thread, cause=f"step {step.number}: reminder")
    nxt = await plan_next(
        session, thread, rt.cadences[thread.cadence], at=now, default_tz=rt.default_tz
    )
    actions = [tell_rep(rt, mb, subject, text, thread_id=thread.id)]
    if nxt is not None:
        actions.append(arm_step_action(rt, nxt.id, "planned", nxt.due_at))
    return actions


async def _new_draft(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    text: str,
    html: str,
) -> list[AfterCommit]:
    now = rt.clock.now()
    nonce = new_nonce()
    cadence = rt.cadences.get(thread.cadence)
    policy = choose_policy(mb.settings.approval_policy, cadence.policy if cadence else None)
    draft = Draft(
        step_id=step.id,
        nonce=nonce,
        subject=reply_subject(thread.subject),
        text=text,
        html=html,
        review_message_id=make_message_id("review", step.id, nonce, domain=mb.domain),
        state="pending",
        created_at=now,
        policy=str(policy),
    )
    session.add(draft)
    await session.flush()
    step.state = "drafted"
    transition(session, thread, ThreadState.DRAFTED, at=now, cause=f"step {step.number} due")
    if policy.kind == "auto":
        return await approve_by_policy(rt, mb, session, step, thread, contact, draft, now)
    if mb.settings.review == "digest":
        # Imported here: the digest decides drafts, which needs this module.
        from followupd.core.digest import arm_digest_action

        # Listed in the rep's next digest; an objection window starts when it is sent.
        return [arm_digest_action(rt, mb)]
    actions: list[AfterCommit] = []
    if policy.window is not None:
        actions = await approve_by_policy(
            rt, mb, session, step, thread, contact, draft, now + policy.window
        )
    facts = await review_facts(rt, mb, session, step, thread, contact, draft)
    return [*actions, send_review(rt, mb, draft.id, draft.review_message_id, facts)]


async def approve_by_policy(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    draft: Draft,
    earliest: datetime,
) -> list[AfterCommit]:
    """``auto``: approved as drafted. ``unless-objected``: approved for a slot after the
    rep's window, still open to their ``skip`` or ``stop`` (state ``objectable``)."""
    now = rt.clock.now()
    cause = f"policy {draft.policy}"
    if not transition(session, thread, ThreadState.APPROVED, at=now, cause=cause):
        return []
    slot = await pick_for_step(
        rt, mb, session, step, thread, contact, earliest=max(step.due_at, earliest)
    )
    if draft.policy == "auto":
        draft.state, draft.decided_at = "approved", now
    else:
        draft.state = "objectable"
    step.state, step.send_at = "approved", slot.send_at_utc
    return [arm_step_action(rt, step.id, "approved", slot.send_at_utc)]
