"""Which step of a cadence comes next, and when it is due.

Pure functions: the thread's progress and its last touch are passed in, nothing is looked up.
Gaps are counted from the previous touch (the enrollment for the first step), not from the
planned date, so a step that went out late pushes the following ones back instead of bunching
them together; this is what keeps a cadence from ever feeling like nagging.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from followupd.sequence.cadence import Cadence, Step


@dataclass(frozen=True, kw_only=True)
class PlannedStep:
    """The next step with its window: it should go at ``due`` and no later than ``deadline``."""

    step: Step
    due: datetime
    deadline: datetime

    def __post_init__(self) -> None:
        if self.due.tzinfo is None or self.deadline.tzinfo is None:
            raise ValueError("due and deadline must be timezone-aware")
        if self.deadline < self.due:
            raise ValueError("deadline must not be before due")


# Two touches to one buyer are at least this far apart, unless a step asks for less in hours
# (a receipt confirmation two hours after the payment arrived).
MIN_GAP = timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class ThreadFacts:
    """What planning needs to know about a thread, read by the caller from the database.

    ``dates`` are the thread's anchor dates (validity, shipment, paid) as aware instants;
    ``used`` the templates already sent or in flight on the thread; ``read_no_reply`` that
    the buyer displayed the last follow-up and has not answered.
    """

    last_touch: datetime
    dates: Mapping[str, datetime] = field(default_factory=dict)
    used: frozenset[str] = frozenset()
    read_no_reply: bool = False


@dataclass(frozen=True, kw_only=True)
class Planned:
    """The next step to run: which template, due when, and why (for the audit)."""

    step: Step
    template: str
    due: datetime
    deadline: datetime
    why: str


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A step passed over at planning time, with the reason (for the audit)."""

    step: Step
    reason: str


def plan(
    cadence: Cadence, done: int, facts: ThreadFacts, *, now: datetime
) -> tuple[list[Skipped], Planned | None]:
    """The steps skipped and the next step to run after ``done`` of them, or None at the end.

    A step is skipped when every one of its templates was already sent on the thread (never
    the same mail twice), or when it is timed before a thread date that has passed or is
    unknown (a reminder that the validity ends is pointless once it ended).
    """
    _require_aware(now, "now")
    _require_aware(facts.last_touch, "last_touch")
    skipped: list[Skipped] = []
    for step in remaining_steps(cadence, done):
        template = choose_template(step, facts)
        if template is None:
            skipped.append(Skipped(step=step, reason="every template of the step was sent"))
            continue
        timed = _due(step, facts, now)
        if isinstance(timed, str):
            skipped.append(Skipped(step=step, reason=timed))
            continue
        due, why = timed
        return skipped, Planned(
            step=step, template=template, due=due, deadline=due + step.slack, why=why
        )
    return skipped, None


def choose_template(step: Step, facts: ThreadFacts) -> str | None:
    """The step's ``on_read`` template after a read without reply, else its first unsent one."""
    if facts.read_no_reply and step.on_read and step.on_read not in facts.used:
        return step.on_read
    return next((t for t in step.templates if t not in facts.used), None)


def _due(step: Step, facts: ThreadFacts, now: datetime) -> tuple[datetime, str] | str:
    anchor_at = facts.dates.get(step.anchor) if step.anchor else None
    if anchor_at is not None:
        _require_aware(anchor_at, step.anchor or "anchor")
        if step.offset < timedelta(0) and anchor_at <= now:
            return f"the {step.anchor} date {anchor_at:%Y-%m-%d} has passed"
        due = anchor_at + step.offset
        why = f"{_days(step.offset)} the {step.anchor} date {anchor_at:%Y-%m-%d}"
    elif step.after is not None:
        due = facts.last_touch + step.after
        why = f"{_gap(step.after)} after the last touch"
    else:
        return f"the thread has no {step.anchor} date"
    gap = step.after if step.after is not None and step.after < MIN_GAP else MIN_GAP
    return max(due, facts.last_touch + gap, now), why


def _gap(delta: timedelta) -> str:
    if delta < timedelta(days=1):
        return f"{delta.seconds // 3600} h"
    return f"{delta.days} d"


def _days(offset: timedelta) -> str:
    if offset == timedelta(0):
        return "on"
    return f"{abs(offset.days)} d {'before' if offset < timedelta(0) else 'after'}"


def next_step(cadence: Cadence, done: int) -> Step | None:
    """The step after ``done`` completed or skipped ones, or None when the cadence is over."""
    if done < 0:
        raise ValueError(f"done must be 0 or more, not {done}")
    if done >= len(cadence.steps):
        return None
    return cadence.steps[done]


def due_at(step: Step, last_touch: datetime) -> datetime:
    """When ``step`` is due by its gap after the last touch (or after the enrollment)."""
    _require_aware(last_touch, "last_touch")
    if step.after is None:
        raise ValueError(f"step {step.number} is timed by its {step.anchor} date; use plan()")
    return last_touch + step.after


def deadline_at(step: Step, last_touch: datetime) -> datetime:
    """The latest instant ``step`` may go out: its due time plus the step's slack."""
    return due_at(step, last_touch) + step.slack


def plan_next(cadence: Cadence, done: int, last_touch: datetime) -> PlannedStep | None:
    """The next step of ``cadence`` with its window, or None when the cadence is over."""
    step = next_step(cadence, done)
    if step is None:
        return None
    return PlannedStep(
        step=step, due=due_at(step, last_touch), deadline=deadline_at(step, last_touch)
    )


def remaining_steps(cadence: Cadence, done: int) -> tuple[Step, ...]:
    """The steps still ahead after ``done`` completed or skipped ones."""
    if done < 0:
        raise ValueError(f"done must be 0 or more, not {done}")
    return cadence.steps[done:]


def busy_days(touches: Iterable[datetime], tz: ZoneInfo) -> frozenset[date]:
    """The buyer's local dates that already have a touch, for ``SlotRequest(busy_days=)``.

    SPEC: never two touches to one buyer on one day. "Day" is the buyer's day, so the instants
    of every other touch to the buyer (any thread of the same account) are converted to ``tz``.
    """
    days: set[date] = set()
    for instant in touches:
        _require_aware(instant, "touch")
        days.add(instant.astimezone(tz).date())
    return frozenset(days)


def _require_aware(instant: datetime, what: str) -> None:
    # A naive datetime here is a programming error: every instant in followupd carries a zone.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {instant!r}")
