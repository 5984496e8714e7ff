"""The rules a send slot must follow, as one frozen value, and the local minutes they allow.

Mail that arrives a few minutes before or after a full hour is opened more (people check mail
around meetings); exactly on the hour it competes with bulk mail, and the first hour of the day
goes to clearing the overnight pile. So a send's local minute is ``HH:55``-``HH:59`` or
``HH:01``-``HH:05`` (``window_minutes`` = 5), never ``HH:00``, no earlier than the end of the
first hour and late enough before the end of the day to be answered: with 09:00-17:00 that is
10:01 to 16:05.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from followupd.errors import FollowupdError

THU_FRI = (1.0, 1.0, 1.0, 1.5, 1.5, 1.0, 1.0)
_DAY = date(2000, 1, 3)


@dataclass(frozen=True, kw_only=True)
class SlotPolicy:
    """Working hours, preferences and mailbox limits for picking one buyer's send slot.

    ``weekend`` (Monday = 0) replaces the buyer country's own weekend when set; None means the
    country's weekend from the ``holidays`` library (Saturday/Sunday without a country).
    ``weekday_weights`` (Monday first) and ``month_end_weight`` (days ``month_end_from_day``
    to the month's end) weigh the days within a step's slack; ``daily_cap`` and
    ``min_gap_minutes`` bound one mailbox's sends; ``horizon_days`` bounds the search.
    """

    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    skip_first_minutes: int = 60
    answer_minutes: int = 55
    window_minutes: int = 5
    weekend: frozenset[int] | None = None
    weekday_weights: tuple[float, ...] = THU_FRI
    month_end_weight: float = 1.5
    month_end_from_day: int = 28
    daily_cap: int | None = None
    min_gap_minutes: int = 0
    horizon_days: int = 60

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise FollowupdError("invalid send-time policy: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        found: list[str] = []
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            found.append("working hours are local times and must not carry a zone")
        if not 1 <= self.window_minutes <= 29:
            found.append(f"window_minutes {self.window_minutes} must be 1..29")
        if self.skip_first_minutes < 0 or self.answer_minutes < 0:
            found.append("skip_first_minutes and answer_minutes must not be negative")
        if self.weekend is not None and not self.weekend < frozenset(range(7)):
            found.append(f"weekend {sorted(self.weekend)} must be some of 0..6, not all")
        if len(self.weekday_weights) != 7 or min(self.weekday_weights, default=0) <= 0:
            found.append("weekday_weights needs seven positive numbers, Monday first")
        if self.month_end_weight <= 0 or not 1 <= self.month_end_from_day <= 31:
            found.append("month_end_weight must be positive and month_end_from_day 1..31")
        if self.daily_cap is not None and self.daily_cap < 1:
            found.append(f"daily_cap {self.daily_cap} must be at least 1")
        if self.min_gap_minutes < 0 or self.horizon_days < 1:
            found.append("min_gap_minutes must not be negative and horizon_days must be >= 1")
        if not found and not self.minutes():
            found.append(
                f"working hours {self.day_start:%H:%M}-{self.day_end:%H:%M} leave no minute to "
                f"send at once the first {self.skip_first_minutes} and the last "
                f"{self.answer_minutes} minutes are left out"
            )
        return found

    def minutes(self) -> tuple[time, ...]:
        """Every local minute a send may land on, in order."""
        return _minutes(self)

    def first_send(self) -> time:
        return self.minutes()[0]

    def last_send(self) -> time:
        return self.minutes()[-1]

    def day_weight(self, day: date) -> float:
        """How much ``day`` is preferred within a slack: weekday weight x month-end weight."""
        weight = self.weekday_weights[day.weekday()]
        return weight * (self.month_end_weight if day.day >= self.month_end_from_day else 1.0)

    def describe_hours(self) -> str:
        return (
            f"working hours {self.day_start:%H:%M}-{self.day_end:%H:%M}, sends from "
            f"{self.first_send():%H:%M} to {self.last_send():%H:%M} (the first "
            f"{self.skip_first_minutes} min are skipped and {self.answer_minutes} min are left "
            "to answer)"
        )


@functools.lru_cache(maxsize=256)
def _minutes(policy: SlotPolicy) -> tuple[time, ...]:
    start = datetime.combine(_DAY, policy.day_start)
    first = start + timedelta(minutes=policy.skip_first_minutes)
    last = datetime.combine(_DAY, policy.day_end) - timedelta(minutes=policy.answer_minutes)
    around = [*range(-policy.window_minutes, 0), *range(1, policy.window_minutes + 1)]
    result: list[time] = []
    for hour in range(25):
        anchor = datetime.combine(_DAY, time(0)) + timedelta(hours=hour)
        for minute in around:
            moment = anchor + timedelta(minutes=minute)
            if moment.date() == _DAY and first <= moment <= last:
                result.append(moment.time())
    return tuple(result)


def in_window(local: time, window_minutes: int = 5) -> bool:
    """Whether a local time is within ``window_minutes`` of a full hour but not on it."""
    return (
        local.second == 0
        and local.microsecond == 0
        and (1 <= local.minute <= window_minutes or local.minute >= 60 - window_minutes)
    )


def parse_hours(text: str) -> tuple[time, time]:
    """``"08:00-16:30"`` (local) as (start, end); FollowupdError with the reason otherwise.

    The hours must leave at least one send minute under the default rules (first hour
    skipped, time to answer kept), so a buyer cannot be given hours that block every send.
    """
    parts = text.replace("–", "-").replace(" ", "").split("-")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = (_clock_time(p) for p in parts)
    except ValueError:
        raise FollowupdError(
            f"working hours {text!r}: expected local times like 08:00-16:30 or 8-16"
        ) from None
    if start.second or end.second or start >= end:
        raise FollowupdError(
            f"working hours {text!r}: expected whole minutes with the start before the end"
        )
    try:
        SlotPolicy(day_start=start, day_end=end)
    except FollowupdError as exc:
        raise FollowupdError(f"working hours {text!r}: {exc}") from None
    return start, end


def _clock_time(text: str) -> time:
    # "8", "08", "7:30" and "07:30" as people write them in a mail (ValueError otherwise).
    hour, _, minute = text.partition(":")
    if not (hour.isdigit() and len(hour) <= 2) or (minute and not minute.isdigit()):
        raise ValueError(text)
    if minute and len(minute) != 2:
        raise ValueError(text)
    return time(int(hour), int(minute or 0))


def format_hours(hours: tuple[time, time]) -> str:
    return f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"
