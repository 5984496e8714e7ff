"""The buyer's zone and the send slot, from the database: the I/O shell of followupd.timing.

The zone is resolved again whenever there is news (enrollment, each mail from the buyer) and
stored on the contact with its source, so a review mail can say "Chicago, learned from 6
of their mails". A zone the rep set (source ``contact``) is never overridden.

Every send instant the daemon picks comes from :func:`pick_for_step`: the buyer's country's
working days, the seller's closures, the mailbox's cap and gap and the company's other
touches all apply, and a slot missed during downtime is picked again forward from now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.threads import buyer_busy_days
from followupd.model import Contact, KnownMessage, Message, Step, Thread
from followupd.timing import (
    SlotChoice,
    SlotRequest,
    ZoneEvidence,
    closures_from_settings,
    parse_hours,
    pick_slot,
    policy_from_settings,
    resolve_zone,
    slot_problems,
)

__all__ = ["learn_zone", "pick_for_step", "recheck_slot", "step_slack"]

# The buyer's recent mails that vote on their zone (people travel; offices do not).
_RECENT = 20
# Sends already planned this far around a slot count for the mailbox's cap and gap.
_SCHEDULE_SPAN = timedelta(days=70)


async def learn_zone(
    session: AsyncSession,
    contact: Contact,
    *,
    default_zone: str,
    at: datetime,
    signature: str | None = None,
) -> None:
    """Resolve ``contact``'s zone from everything known and store it with its provenance."""
    explicit = contact.timezone if contact.timezone_source == "contact" else None
    evidence = ZoneEvidence(
        default_zone=default_zone,
        zone=explicit,
        header_dates=await _header_dates(session, contact.email),
        country=contact.country,
        signature=signature,
        email=contact.email,
        recent=_RECENT,
    )
    choice = resolve_zone(evidence, at=at)
    # A signature is only read from a mail in hand; keep a phone-based answer until better
    # evidence (the buyer's own Date headers) replaces it.
    weaker = ("cctld", "default")
    if signature is None and contact.timezone_source == "phone" and choice.source in weaker:
        return
    contact.timezone = choice.zone
    contact.timezone_source = choice.source
    contact.timezone_detail = choice.detail[:2000]
    contact.zone_country = choice.country


async def pick_for_step(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    *,
    earliest: datetime,
    soonest: bool = False,
) -> SlotChoice:
    """The send slot for ``step`` at or after ``earliest`` (and after now), with its reasons.

    ``soonest`` (the rep said ``now``): the first day with an allowed minute, instead of a
    day drawn within the step's slack.
    """
    now = rt.clock.now()
    request = await _request(rt, mb, session, step, thread, contact, max(earliest, now), now)
    if soonest:
        request = replace(request, slack=timedelta(0))
    return pick_slot(request)


async def recheck_slot(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
) -> tuple[list[str], SlotChoice | None]:
    """Whether ``step``'s planned slot still obeys the rules for what is known now.

    The rep may have set the buyer's zone, country or hours after approving, or the
    configuration changed. Returns the broken rules and, when there are any, a new slot
    picked forward from now (never earlier than the old one, which the rep was told).
    """
    if step.send_at is None:
        return [], None
    now = rt.clock.now()
    planned = step.send_at
    request = await _request(rt, mb, session, step, thread, contact, planned, planned)
    # Only the buyer's side is judged again: the mailbox's cap and gap were met when the slot
    # was picked, and a neighbour that went out a few seconds late must not push this one to
    # another day (the send path holds the daily limit on its own).
    problems = slot_problems(planned, replace(request, mailbox_schedule=()))
    if not problems:
        return [], None
    return problems, await pick_for_step(
        rt, mb, session, step, thread, contact, earliest=max(planned, now)
    )


async def _request(
    rt: Runtime,
    mb: MailboxRuntime,
    session: AsyncSession,
    step: Step,
    thread: Thread,
    contact: Contact,
    earliest: datetime,
    now: datetime,
) -> SlotRequest:
    settings = rt.config.settings
    country = contact.country or contact.zone_country
    zone = contact.timezone or rt.default_tz.key
    busy = await buyer_busy_days(session, contact, ZoneInfo(zone), except_step=step.id)
    own_hours = parse_hours(contact.work_hours) if contact.work_hours else None
    return SlotRequest(
        earliest=earliest,
        now=now,
        zone=zone,
        country=country,
        slack=step_slack(rt, step, thread),
        seed=step.id,
        policy=policy_from_settings(
            settings, country=country, mailbox=mb.settings, contact_hours=own_hours
        ),
        mailbox_zone=mb.settings.rep_timezone,
        mailbox_schedule=await _mailbox_schedule(session, mb, step, around=earliest),
        busy_days=busy,
        closures=closures_from_settings(settings),
    )


def step_slack(rt: Runtime, step: Step, thread: Thread) -> timedelta:
    cadence = rt.cadences.get(thread.cadence)
    index = step.number - thread.step_base - 1
    if cadence is None or not 0 <= index < len(cadence.steps):
        return timedelta(0)
    return cadence.steps[index].slack


async def _header_dates(session: AsyncSession, address: str) -> tuple[datetime, ...]:
    """The Date headers (with their own offsets) of the latest mails from ``address``."""
    found: list[datetime] = []
    for table in (Message, KnownMessage):
        rows = await session.execute(
            select(table.sent_at, table.utc_offset)
            .where(
                table.from_addr == address,
                table.sent_at.is_not(None),
                table.utc_offset.is_not(None),
            )
            .order_by(table.sent_at.desc())
            .limit(_RECENT)
        )
        found.extend(
            sent_at.astimezone(_fixed(offset))
            for sent_at, offset in rows
            if sent_at is not None and offset is not None
        )
    return tuple(found)


def _fixed(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


async def _mailbox_schedule(
    session: AsyncSession, mb: MailboxRuntime, step: Step, *, around: datetime
) -> tuple[datetime, ...]:
    """The sends of this mailbox planned or made near ``around``, but for ``step`` itself."""
    rows = await session.execute(
        select(Step.send_at, Step.sent_at)
        .join(Thread, Thread.id == Step.thread_id)
        .where(
            Thread.mailbox_id == mb.mailbox_id,
            Step.id != step.id,
            Step.kind == "email",
            Step.state.in_(("approved", "sending", "sent", "unknown")),
        )
    )
    low, high = around - _SCHEDULE_SPAN, around + _SCHEDULE_SPAN
    instants = (sent or planned for planned, sent in rows)
    return tuple(sorted(i for i in instants if i is not None and low <= i <= high))
