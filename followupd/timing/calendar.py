"""Working days: the buyer's public holidays and weekend, and the seller's own closures.

A buyer's country calendar comes from the ``holidays`` library and is asked through
``is_working_day``, which knows both the country's weekend (Friday/Saturday in Saudi Arabia,
Saturday/Sunday in the UAE since 2022) and its make-up working days (China works some
Saturdays and Sundays to bridge a long holiday). A configured weekend for a country replaces
the library's, and the make-up days still count. Without a known country only the weekend
applies, Saturday/Sunday unless configured.

The seller's closures (``[[company.holidays]]``, e.g. Spring Festival) are date ranges; nobody
is there to answer a reply, so nothing is sent on them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import holidays

SAT_SUN = frozenset({5, 6})
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, kw_only=True)
class Closure:
    """Days the seller is closed, both ends included."""

    name: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"closure {self.name!r} ends before it starts")

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@functools.lru_cache(maxsize=2048)
def public_calendar(country: str, year: int) -> holidays.HolidayBase | None:
    """The public holidays of ``country`` in ``year``; None if the library has no calendar.

    Built once per (country, year): building a calendar computes a year of lunar and Islamic
    dates, and the picker asks about the same few calendars again and again.
    """
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        # How python-holidays says it has no calendar for a country: weekends only, then.
        return None


def day_off_reason(
    day: date, *, country: str | None, weekend: frozenset[int] | None = None
) -> str | None:
    """Why ``day`` is not a working day for the buyer, or None when it is one.

    ``weekend`` replaces the country's own weekend when given (configuration).
    """
    cal = public_calendar(country, day.year) if country else None
    if cal is None:
        days = SAT_SUN if weekend is None else weekend
        return f"weekend ({_names(days)})" if day.weekday() in days else None
    if weekend is None:
        if cal.is_working_day(day):
            return None
        name = cal.get(day)
        if name:
            return f"public holiday in {country}: {name}"
        return f"weekend in {country} ({_names(frozenset(cal.weekend))})"
    if day.weekday() in weekend:
        if day in cal.weekend_workdays:
            return None
        return f"configured weekend for {country} ({_names(weekend)})"
    name = cal.get(day)
    return f"public holiday in {country}: {name}" if name else None


def is_make_up_day(day: date, country: str | None) -> bool:
    """Whether ``day`` is a weekend day that ``country`` works (China's make-up days)."""
    cal = public_calendar(country, day.year) if country else None
    return cal is not None and day in cal.weekend_workdays and cal.is_working_day(day)


def closure_on(day: date, closures: Iterable[Closure]) -> Closure | None:
    """The first seller closure that covers ``day``."""
    return next((c for c in closures if c.covers(day)), None)


def _names(days: frozenset[int]) -> str:
    return "/".join(_DAY_NAMES[d] for d in sorted(days))
