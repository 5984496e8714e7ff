"""The rep's decision on one draft: approve (as drafted or edited), now, skip, snooze, pause.

A review mail and a digest both end here, so a draft is decided the same way whichever mail
the rep answered. Each function changes the database (inside the caller's transaction) and
returns the actions to run after the commit plus the sentence that tells the rep what
happened; the caller mails that sentence (a review mail's answer) or lists it (a digest's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.commands import Command
from followupd.approval.review import when_in
from followupd.approval.texts import say
from followupd.core import outbound
from followupd.core.notify import AfterCommit
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.slots import pick_for_step
from followupd.core.threads import (
    OPEN_DRAFT_STATES,
    OPEN_STEP_STATES,
    audit,
    plan_next,
    transition,
)
from followupd.model import Contact, Draft, Step, Thread
from followupd.sequence.states import ThreadState
from followupd.templating.render import text_to_html

__all__ = ["Decision", "approve", "by_command", "hold", "pause", "pause_in_past", "skip", "snooze"]


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What deciding a draft did: ``ok`` False when nothing changed (``text`` says why)."""

    ok: bool
    subject: str
    text: str
    actions: list[AfterCommit] = field(default_factory=list)


async def approve(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    draft: Draft,
    step: Step,
    thread: Thread,
    *,
    soonest: bool = False,
    edited: str | None = None,
) -> Decision:
    """Send the draft (or the rep's ``edited`` text) at its slot; ``soonest``: the first one."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    contact = await session.get(Contact, thread.contact_id)
    if contact is None:
        return Decision(ok=False, subject=thread.subject, text="")
    if not transition(session, thread, ThreadState.APPROVED, at=now, cause="rep approved"):
        return Decision(
            ok=False,
            subject=say(lang, "not_sent.subject", subject=thread.subject),
            text=say(lang, "not_sent.body", state=thread.state),
        )
    earliest = now if soonest else step.due_at
    if draft.state == "objectable" and step.send_at is not None and not soonest:
        # Going out unless the rep objected: an approval keeps the slot they were shown.
        send_at = step.send_at
    else:
        slot = await pick_for_step(
            rt, mb, session, step, thread, contact, earliest=earliest, soonest=soonest
        )
        send_at = slot.send_at_utc
    if edited is not None:
        draft.text, draft.html, draft.edited_at = edited, text_to_html(edited), now
        audit(session, at=now, kind="draft-edited", thread=thread, cause=f"step {step.number}")
    draft.state, draft.decided_at = "approved", now
    step.state, step.send_at = "approved", send_at
    shown = when_in(lang, send_at, rt.buyer_tz(contact.timezone), mb.rep_tz)
    number = step.number - thread.step_base
    key = "now.body" if soonest else "approved_edited.body" if edited else "approved.body"
    return Decision(
        ok=True,
        subject=say(lang, "approved.subject", subject=thread.subject),
        text=say(lang, key, number=number, when=shown),
        actions=[outbound.arm_step_action(rt, step.id, "approved", send_at)],
    )


async def skip(
    rt: Runtime, mb: MailboxRuntime, session: AsyncSession, draft: Draft, step: Step, thread: Thread
) -> Decision:
    """Drop this follow-up and plan the cadence's next step."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    draft.state, draft.decided_at, step.state = "skipped", now, "skipped"
    thread.steps_done += 1
    transition(session, thread, ThreadState.ACTIVE, at=now, cause="rep skipped the draft")
    nxt = await plan_next(
        session, thread, rt.cadences[thread.cadence], at=now, default_tz=rt.default_tz
    )
    actions = []
    if nxt is not None:
        actions.append(outbound.arm_step_action(rt, nxt.id, "planned", nxt.due_at))
    return Decision(
        ok=True,
        subject=say(lang, "skipped.subject", subject=thread.subject),
        text=say(lang, "skipped.body", number=step.number - thread.step_base),
        actions=actions,
    )


async def snooze(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    draft: Draft,
    step: Step,
    thread: Thread,
    delay: timedelta,
) -> Decision:
    """Set the draft aside; the step is drafted again after ``delay``, with what is known then."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    due = now + delay
    _set_aside(session, draft, step, thread, "snoozed", due, now, f"snoozed for {delay}")
    contact = await session.get(Contact, thread.contact_id)
    tz = rt.buyer_tz(contact.timezone if contact else None)
    return Decision(
        ok=True,
        subject=say(lang, "snoozed.subject", subject=thread.subject),
        text=say(
            lang,
            "snoozed.body",
            number=step.number - thread.step_base,
            when=when_in(lang, due, tz, mb.rep_tz),
        ),
        actions=[outbound.arm_step_action(rt, step.id, "planned", due)],
    )


def pause_start(rt: Runtime, mb: MailboxRuntime, until: date, buyer_tz: str | None) -> datetime:
    """The instant a ``pause until <date>`` ends: that day's start in the buyer's zone."""
    return datetime.combine(until, time(0, 0), tzinfo=rt.buyer_tz(buyer_tz))


def pause_in_past(rt: Runtime, mb: MailboxRuntime, until: date) -> bool:
    """Whether ``until`` is today or earlier for the rep (a pause must end in the future)."""
    return until <= rt.clock.now().astimezone(mb.rep_tz).date()


async def pause(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    draft: Draft,
    step: Step,
    thread: Thread,
    until: date,
) -> Decision:
    """Nothing on this thread before ``until``; then the step is drafted again."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    if pause_in_past(rt, mb, until):
        return Decision(
            ok=False,
            subject=say(lang, "not_understood.subject", subject=thread.subject),
            text=say(lang, "past_date.body", until=until.isoformat()),
        )
    contact = await session.get(Contact, thread.contact_id)
    resume = pause_start(rt, mb, until, contact.timezone if contact else None)
    _set_aside(session, draft, step, thread, "paused", resume, now, f"paused until {until}")
    thread.paused_until = resume
    return Decision(
        ok=True,
        subject=say(lang, "paused.subject", subject=thread.subject),
        text=say(lang, "paused.body", until=until.isoformat()),
        actions=[outbound.arm_step_action(rt, step.id, "planned", resume)],
    )


def _set_aside(
    session: AsyncSession,
    draft: Draft,
    step: Step,
    thread: Thread,
    state: str,
    due: datetime,
    now: datetime,
    cause: str,
) -> None:
    # The draft is void (its text may be out of date by then); the step waits as planned,
    # so a restart arms it again at its new due time.
    draft.state, draft.decided_at = state, now
    step.state, step.due_at, step.send_at = "planned", due, None
    transition(session, thread, ThreadState.ACTIVE, at=now, cause=f"rep {cause}")
    audit(session, at=now, kind="draft-set-aside", thread=thread, cause=f"step {step.number}")


async def hold(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    thread: Thread,
    until: datetime,
    cause: str,
) -> list[AfterCommit]:
    """Nothing on ``thread`` before ``until`` (a snooze or pause given in reply to a notice).

    A waiting draft is set aside and drafted again then; an approved send gets a new slot
    after ``until``; a planned step moves to ``until`` if it was due earlier.
    """
    now = rt.clock.now()
    contact = await session.get(Contact, thread.contact_id)
    actions: list[AfterCommit] = []
    steps = (
        await session.scalars(
            select(Step).where(Step.thread_id == thread.id, Step.state.in_(OPEN_STEP_STATES))
        )
    ).all()
    for step in steps:
        if step.state == "drafted":
            drafts = await session.scalars(
                select(Draft).where(Draft.step_id == step.id, Draft.state.in_(OPEN_DRAFT_STATES))
            )
            for draft in drafts:
                _set_aside(session, draft, step, thread, "set-aside", until, now, cause)
            step.state, step.due_at = "planned", until
            actions.append(outbound.arm_step_action(rt, step.id, "planned", until))
        elif step.state == "planned" and step.due_at < until:
            step.due_at = until
            actions.append(outbound.arm_step_action(rt, step.id, "planned", until))
        elif step.state == "approved" and contact is not None:
            if step.send_at is not None and step.send_at >= until:
                continue
            slot = await pick_for_step(rt, mb, session, step, thread, contact, earliest=until)
            step.send_at = slot.send_at_utc
            actions.append(outbound.arm_step_action(rt, step.id, "approved", step.send_at))
    audit(
        session,
        at=now,
        kind="held",
        thread=thread,
        cause=f"{cause}; until {until:%Y-%m-%d %H:%M} UTC",
    )
    return actions


async def by_command(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    draft: Draft,
    step: Step,
    thread: Thread,
    command: Command,
) -> Decision | None:
    """Decide ``draft`` by ``approve``, ``now``, ``skip``, ``snooze`` or ``pause``; None for
    the commands about the whole thread (and an incomplete snooze or pause)."""
    verb = command.verb
    if verb == "approve" or verb == "now":
        return await approve(rt, mb, session, draft, step, thread, soonest=verb == "now")
    if verb == "skip":
        return await skip(rt, mb, session, draft, step, thread)
    if verb == "snooze" and command.delay is not None:
        return await snooze(rt, mb, session, draft, step, thread, command.delay)
    if verb == "pause" and command.until is not None:
        return await pause(rt, mb, session, draft, step, thread, command.until)
    return None
