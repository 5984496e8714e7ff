"""Which step of a cadence comes next, and when it is due.

Pure functions: the thread's progress and its last touch are passed in, nothing is looked up.
Gaps are counted from the previous touch (the enrollment for the first step), not from the
planned date, so a step that went out late pushes the following ones back instead of bunching
them together; this is what keeps a cadence from ever feeling like nagging.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
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


def next_step(cadence: Cadence, done: int) -> Step | None:
    """The step after ``done`` completed or skipped ones, or None when the cadence is over."""
    if done < 0:
        raise ValueError(f"done must be 0 or more, not {done}")
    if done >= len(cadence.steps):
        return None
    return cadence.steps[done]


def due_at(step: Step, last_touch: datetime) -> datetime:
    """When ``step`` is due: its gap after the last touch (or after the enrollment)."""
    _require_aware(last_touch, "last_touch")
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
    """The buyer's local dates that already have a touch, for ``pick_send_time(busy_days=)``.

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
