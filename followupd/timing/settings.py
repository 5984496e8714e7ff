"""The configuration's ``[working_hours]``, ``[timing]`` and mailbox limits as a SlotPolicy.

Which value wins, most specific first:

- hours: the contact's own (given by the caller) > ``[timing.countries.XX]`` > ``[working_hours]``;
- weekend: ``[timing.countries.XX] workdays`` > the country's weekend from python-holidays >
  ``[working_hours] workdays`` (which therefore only applies to buyers of unknown country);
- daily cap and minimum gap: the mailbox's ``smtp`` (often from its provider preset) >
  ``[timing]``.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from followupd.timing.calendar import Closure
from followupd.timing.policy import SlotPolicy

if TYPE_CHECKING:
    from followupd.config.models import MailboxSettings, Settings


def policy_from_settings(
    settings: Settings,
    *,
    country: str | None,
    mailbox: MailboxSettings | None = None,
    contact_hours: tuple[time, time] | None = None,
) -> SlotPolicy:
    """The slot policy for a buyer in ``country`` mailed from ``mailbox``."""
    timing = settings.timing
    hours = settings.working_hours
    per_country = timing.countries.get(country) if country else None
    start = per_country.start if per_country and per_country.start else hours.start
    end = per_country.end if per_country and per_country.end else hours.end
    if contact_hours is not None:
        start, end = contact_hours
    weekend = None
    if per_country is not None and per_country.workday_numbers() is not None:
        weekend = frozenset(range(7)) - (per_country.workday_numbers() or frozenset())
    elif country is None:
        weekend = frozenset(range(7)) - hours.workday_numbers()
    smtp = mailbox.smtp if mailbox is not None else None
    cap = smtp.daily_limit if smtp and smtp.daily_limit is not None else timing.daily_cap
    gap = smtp.min_gap_minutes if smtp and smtp.min_gap_minutes is not None else None
    return SlotPolicy(
        day_start=start,
        day_end=end,
        skip_first_minutes=timing.skip_first_minutes,
        answer_minutes=timing.answer_minutes,
        window_minutes=timing.window_minutes,
        weekend=weekend,
        weekday_weights=timing.weekday_weight_list(),
        month_end_weight=timing.month_end_weight,
        month_end_from_day=timing.month_end_from_day,
        daily_cap=cap,
        min_gap_minutes=timing.min_gap_minutes if gap is None else gap,
        horizon_days=timing.horizon_days,
    )


def closures_from_settings(settings: Settings) -> tuple[Closure, ...]:
    """The seller's closures (``[[company.holidays]]``)."""
    return tuple(Closure(name=h.name, start=h.start, end=h.end) for h in settings.company.holidays)
