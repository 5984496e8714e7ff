"""Commands about a whole thread: stop, won, lost, paid.

The rep gives them in a reply to a review mail, in a reply to a notice about the thread, or
(``paid``) on the command line; all three paths end here, so they behave the same.

``paid`` moves the thread to the after-payment cadence: the payment is confirmed to the buyer
within hours, a thank-you and a feedback request follow, then production and shipping news.
The steps of the old cadence stay in the thread's history, and the new ones are numbered
after them (``thread.step_base``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.review import when_in
from followupd.approval.texts import say
from followupd.core import outbound
from followupd.core.notify import AfterCommit, tell_rep
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import audit, cancel_open_steps, plan_next, transition
from followupd.errors import CommandError
from followupd.model import Contact, Step, Thread
from followupd.sequence.cadence import Cadence
from followupd.sequence.states import ThreadState, can_transition

__all__ = ["AFTER_PAYMENT", "close_thread", "mark_paid", "on_paid"]

AFTER_PAYMENT = "after-payment"

_CLOSE = {"stop": ThreadState.STOPPED, "won": ThreadState.WON, "lost": ThreadState.LOST}
# The texts (subject and body) that confirm each closing verb.
_DONE = {"stop": "stopped", "won": "won", "lost": "lost"}


async def close_thread(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    thread: Thread,
    verb: Literal["stop", "won", "lost"],
    *,
    reply_to: str | None,
) -> list[AfterCommit]:
    """Stop the thread's follow-ups, recording why (``stop``, ``won`` or ``lost``)."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    if not transition(session, thread, _CLOSE[verb], at=now, cause=f"rep sent {verb}"):
        return [
            tell_rep(
                rt,
                mb,
                say(lang, "not_changed.subject", subject=thread.subject),
                say(
                    lang,
                    "not_changed.state",
                    state=say(lang, f"state.{thread.state}"),
                    verb=say(lang, f"verb.{verb}"),
                ),
                reply_to,
            )
        ]
    step_ids = await cancel_open_steps(session, thread, cause=f"rep sent {verb}", at=now)
    done = _DONE[verb]
    # A stopped thread can still be corrected, re-activated or closed; won and lost are final.
    target = thread.id if verb == "stop" else None
    return [
        outbound.disarm_action(rt, step_ids),
        tell_rep(
            rt,
            mb,
            say(lang, f"{done}.subject", subject=thread.subject),
            say(lang, f"{done}.body"),
            reply_to,
            thread_id=target,
        ),
    ]


async def mark_paid(
    session: AsyncSession,
    thread: Thread,
    cadences: dict[str, Cadence],
    *,
    at: datetime,
    paid_at: datetime,
    default_tz: ZoneInfo,
) -> tuple[list[int], Step | None]:
    """Record the payment and start the after-payment cadence.

    Returns the ids of the steps it cancelled and the first step of the new cadence. Raises
    CommandError (and changes nothing) when the thread cannot take it.
    """
    if AFTER_PAYMENT not in cadences:
        raise CommandError(f"there is no '{AFTER_PAYMENT}' cadence in the cadence file")
    if thread.cadence == AFTER_PAYMENT and thread.paid_at is not None:
        raise CommandError(f"the payment was already recorded on {thread.paid_at:%Y-%m-%d}")
    state = ThreadState(thread.state)
    if state != ThreadState.ACTIVE and not can_transition(state, ThreadState.ACTIVE):
        raise CommandError(f"the thread is {state}, so a payment cannot start follow-ups on it")
    transition(session, thread, ThreadState.ACTIVE, at=at, cause="rep recorded the payment")
    cancelled = await cancel_open_steps(session, thread, cause="payment recorded", at=at)
    await session.flush()
    last = await session.scalar(select(func.max(Step.number)).where(Step.thread_id == thread.id))
    old = thread.cadence
    thread.step_base = last or 0
    thread.steps_done = 0
    thread.cadence = AFTER_PAYMENT
    thread.paid_at = paid_at
    # The after-payment steps count from the moment the rep confirmed the payment.
    thread.last_touch_at = at
    thread.updated_at = at
    audit(
        session,
        at=at,
        kind="paid",
        thread=thread,
        cause=f"paid {paid_at:%Y-%m-%d}; cadence {old} -> {AFTER_PAYMENT}",
    )
    step = await plan_next(session, thread, cadences[AFTER_PAYMENT], at=at, default_tz=default_tz)
    return cancelled, step


async def on_paid(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    thread: Thread,
    *,
    reply_to: str | None,
) -> list[AfterCommit]:
    """The rep said ``paid``: switch the thread to after-payment and say what comes next."""
    now = rt.clock.now()
    lang = mb.settings.rep_language
    try:
        cancelled, step = await mark_paid(
            session, thread, rt.cadences, at=now, paid_at=now, default_tz=rt.default_tz
        )
    except CommandError as exc:
        return [
            tell_rep(
                rt,
                mb,
                say(lang, "not_changed.subject", subject=thread.subject),
                say(lang, "not_changed.paid", problem=exc),
                reply_to,
                thread_id=thread.id,
            )
        ]
    actions: list[AfterCommit] = [outbound.disarm_action(rt, cancelled)]
    if step is not None:
        actions.append(outbound.arm_step_action(rt, step.id, "planned", step.due_at))
        tz = rt.buyer_tz(await _buyer_zone(session, thread))
        nxt = say(
            lang,
            "paid.next",
            template=step.template,
            when=when_in(lang, step.due_at, tz, mb.rep_tz),
        )
    else:
        nxt = say(lang, "paid.no_step")
    actions.append(
        tell_rep(
            rt,
            mb,
            say(lang, "paid.subject", subject=thread.subject),
            say(lang, "paid.body", next=nxt),
            reply_to,
            thread_id=thread.id,
        )
    )
    return actions


async def _buyer_zone(session: AsyncSession, thread: Thread) -> str | None:
    contact = await session.get(Contact, thread.contact_id)
    return contact.timezone if contact is not None else None
