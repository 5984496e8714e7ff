"""The minute a follow-up is sent, in the buyer's timezone.

Mail that arrives a few minutes before or after a full hour is opened more (people check mail
around meetings); exactly on the hour it competes with bulk mail, and the first hour of the day
is spent clearing the overnight pile. So, in the buyer's local time, the candidates are:

- the full hours ``H`` with ``start + 1h <= H`` and ``H + 1h <= end``; with the default
  09:00-17:00 that is 10:00 ... 16:00;
- around each such hour the minutes ``H-5 .. H-1`` and ``H+1 .. H+5`` (never ``H:00``),
  seconds zero; with the defaults the earliest is 09:55 and the latest 16:05. The minutes just
  before the first candidate hour belong to that hour's window, so 09:55-09:59 is allowed;
- on a workday of ``hours`` whose local date is not in ``busy_days`` (holidays, days that
  already have a touch to this buyer).

The first day with a candidate at or after ``earliest`` is used, and one of that day's remaining
candidates is drawn with ``random.Random(seed)``, so sends spread over the day but the same
inputs always give the same minute. Local times come from zoneinfo: a minute that does not
exist (spring-forward gap) is skipped, an ambiguous one (fall-back) means its first occurrence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from followupd.errors import FollowupdError

SEARCH_DAYS = 60
_AROUND = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, kw_only=True)
class WorkingHours:
    """The buyer's working day; ``workdays`` are ``date.weekday()`` numbers (Monday = 0)."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise FollowupdError("working hours are local times; they must not carry a zone")
        if not self.workdays or not self.workdays <= frozenset(range(7)):
            raise FollowupdError(f"workdays {sorted(self.workdays)} must be among 0..6 (Mon..Sun)")
        if not self.hours():
            raise FollowupdError(
                f"working hours {self.start:%H:%M}-{self.end:%H:%M} leave no full hour to send "
                "at (the first hour is skipped and the last send hour ends one hour before end)"
            )

    def hours(self) -> tuple[int, ...]:
        """The full hours ``H`` a send may land around: ``start + 1h <= H <= end - 1h``."""
        day = date(2000, 1, 3)
        start = datetime.combine(day, self.start) + _HOUR
        end = datetime.combine(day, self.end) - _HOUR
        return tuple(h for h in range(24) if start <= datetime.combine(day, time(h)) <= end)

    def minutes(self) -> tuple[time, ...]:
        """Every candidate local minute of a workday, in order."""
        result: list[time] = []
        for hour in self.hours():
            anchor = datetime.combine(date(2000, 1, 3), time(hour))
            result.extend((anchor + timedelta(minutes=m)).time() for m in _AROUND)
        return tuple(result)


def pick_send_time(
    *,
    earliest: datetime,
    tz: ZoneInfo,
    hours: WorkingHours,
    seed: int,
    busy_days: frozenset[date] = frozenset(),
) -> datetime:
    """A good send instant at or after ``earliest``, as an aware UTC datetime (rules above)."""
    if earliest.tzinfo is None or earliest.utcoffset() is None:
        raise ValueError("earliest must be timezone-aware")
    rng = random.Random(seed)
    first_day = earliest.astimezone(tz).date()
    for offset in range(SEARCH_DAYS + 1):
        day = first_day + timedelta(days=offset)
        if day.weekday() not in hours.workdays or day in busy_days:
            continue
        candidates = [c for c in _day_candidates(day, tz, hours) if c >= earliest]
        if candidates:
            return rng.choice(candidates)
    raise FollowupdError(
        f"no send time within {SEARCH_DAYS} days after {earliest.isoformat()} in {tz}: "
        "every workday is busy or excluded"
    )


def send_time_problems(
    instant: datetime,
    *,
    tz: ZoneInfo,
    hours: WorkingHours,
    busy_days: frozenset[date] = frozenset(),
) -> list[str]:
    """Which rules ``instant`` breaks in ``tz`` (empty if none): to explain or re-check a time."""
    local = instant.astimezone(tz)
    problems: list[str] = []
    if local.second or local.microsecond:
        problems.append(f"{local:%H:%M:%S} is not on a whole minute")
    if local.time().replace(second=0, microsecond=0) not in hours.minutes():
        problems.append(
            f"{local:%H:%M} is not within 5 minutes of a full hour (but not on it) inside the "
            f"working hours {hours.start:%H:%M}-{hours.end:%H:%M} after the first hour"
        )
    if local.weekday() not in hours.workdays:
        problems.append(f"{local:%A %Y-%m-%d} is not a workday")
    if local.date() in busy_days:
        problems.append(f"{local:%Y-%m-%d} is busy (holiday or another touch that day)")
    return problems


def _day_candidates(day: date, tz: ZoneInfo, hours: WorkingHours) -> list[datetime]:
    """The candidate minutes of local ``day`` that exist there, as UTC instants."""
    result: list[datetime] = []
    for minute in hours.minutes():
        naive = datetime.combine(day, minute)
        instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
        # In a spring-forward gap the wall time does not exist: converting back gives another
        # wall time, and such a minute is skipped rather than shifted.
        if instant.astimezone(tz).replace(tzinfo=None) != naive:
            continue
        result.append(instant)
    return result
