"""Dates and spans of time as PIs and quotations write them, in the languages reps use.

Read with regular expressions rather than a general date parser: the forms are few
("2026-12-15", "15/12/2026", "15 Dec 2026", "Dec 15th, 2026", "15 de diciembre de 2026",
"15. Dezember 2026", "15 декабря 2026", "2026年12月15日"), and a general parser reads too
much into trade text ("30 days" became a date thirty days in the past). Every reading is
returned; the caller keeps the first one that makes sense (on or after the day sent).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = ["DateHit", "Span", "SpanHit", "add_span", "find_dates", "find_spans", "span_text"]

Order = Literal["DMY", "MDY"]
Unit = Literal["day", "working day", "week", "month"]

_MONTH_NAMES: dict[int, str] = {
    1: "january jan enero ene janvier janv januar jänner janeiro января январь янв",
    2: "february feb febrero février fevrier févr fevr februar fevereiro fev февраля февраль фев",
    3: "march mar marzo mars märz maerz mär março marco марта март",
    4: "april apr abril abr avril avr апреля апрель апр",
    5: "may mayo mai maio мая май",
    6: "june jun junio juin juni junho июня июнь",
    7: "july jul julio juillet juil juli julho июля июль",
    8: "august aug agosto août aout августа август авг",
    9: "september sep sept septiembre setiembre septembre setembro сентября сентябрь сен сент",
    10: "october oct octubre octobre oktober okt outubro октября октябрь окт",
    11: "november nov noviembre novembre novembro ноября ноябрь ноя",
    12: "december dec diciembre dic décembre decembre déc dezember dez dezembro "
    "декабря декабрь дек",
}
# Abbreviations that are also everyday words ("2 days ago", "out", "set") are left out
# above: they would turn quantities into dates.
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_CJK = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?")
_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d.]\d|\d)")
# "bis 15.12." without a year, as German mail writes it.
_DAY_DOT_MONTH = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(?!\d)")
_DAY_MONTH = re.compile(
    rf"(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th|er|º|°|\.)?[\s-]*(?:de\s+|of\s+)?({_MONTH})\.?"
    rf"(?![^\W\d_])(?:,?[\s-]*(?:de\s+)?(\d{{4}}))?",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"(?<![^\W\d_])({_MONTH})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s*(\d{{4}}))?",
    re.IGNORECASE,
)

_ZH_DIGITS = {
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9
}  # fmt: skip
_UNITS: tuple[tuple[Unit, str], ...] = (
    ("working day", r"工作日|werktag(?:e|en)?|arbeitstag(?:e|en)?"),
    ("day", r"days?|天|日|d[ií]as?|jours?|tag(?:e|en)?|дн(?:ей|я|и)|день|суток"),
    ("week", r"weeks?|周|星期|semanas?|semaines?|wochen?|недел[ьиюя]"),
    ("month", r"months?|个月|月|meses|mes|mois|monat(?:e|en)?|месяц(?:а|ев)?|мес\."),
)
_UNIT_OF = re.compile("|".join(f"(?P<u{i}>{p})" for i, (_, p) in enumerate(_UNITS)), re.I)
_SPAN = re.compile(
    r"(?<![\d.,])(?P<low>\d{1,3}|[一二两三四五六七八九十]{1,3})"
    r"(?:\s*(?:[-~～–]|\b(?:to|a|à|bis|до)\b)\s*(?P<high>\d{1,3}))?\s*个?\s*"
    r"(?P<before>(?:working|business|рабочих)\s+)?"
    # A Latin or Cyrillic unit must end its word; Chinese has no spaces ("30天内有效").
    rf"(?P<unit>{'|'.join(p for _, p in _UNITS)})(?:(?<=[\u4e00-\u9fff])|(?![^\W\d_]))"
    r"(?P<after>\s+(?:h[áa]biles|laborables|ouvrables|ouvr[ée]s|[úu]teis))?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date written at ``start``: its possible readings, most likely first."""

    start: int
    end: int
    readings: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class Span:
    """A span of time: "25 days", "25-30 working days", "2 weeks"."""

    low: int
    high: int | None
    unit: Unit


@dataclass(frozen=True, slots=True)
class SpanHit:
    """A span of time written at ``start``."""

    start: int
    end: int
    span: Span


def find_dates(text: str, *, order: Order, base: date) -> list[DateHit]:
    """Every date in ``text``, in order. ``order`` is the day order for "05/12/2026".

    A date without a year reads as its next occurrence on or after ``base``.
    """
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []
    for pattern, reader in _READERS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            readings = tuple(d for d in reader(match, order, base) if d is not None)
            if readings:
                hits.append(DateHit(match.start(), match.end(), readings))
                taken.append(match.span())
    return sorted(hits, key=lambda h: h.start)


def find_spans(text: str) -> list[SpanHit]:
    """Every span of time in ``text`` ("30 days", "25-30 working days", "两周"), in order."""
    hits: list[SpanHit] = []
    for match in _SPAN.finditer(text):
        low = _number(match.group("low"))
        high = int(match.group("high")) if match.group("high") else None
        unit_match = _UNIT_OF.fullmatch(match.group("unit"))
        if low is None or low == 0 or unit_match is None or unit_match.lastgroup is None:
            continue
        unit = _UNITS[int(unit_match.lastgroup[1:])][0]
        if match.group("before") or match.group("after"):
            unit = "working day" if unit == "day" else unit
        hits.append(SpanHit(match.start(), match.end(), Span(low, high, unit)))
    return hits


def add_span(start: date, span: Span) -> date | None:
    """``start`` plus the shorter end of ``span``; ``None`` past the calendar's end."""
    try:
        if span.unit == "day":
            return start + timedelta(days=span.low)
        if span.unit == "week":
            return start + timedelta(weeks=span.low)
        if span.unit == "working day":
            return _add_working_days(start, span.low)
        month = start.month - 1 + span.low
        year, month = start.year + month // 12, month % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day)
    except (OverflowError, ValueError):
        return None


def span_text(span: Span) -> str:
    """The span in English: "25 days", "25-30 working days", "1 week"."""
    count = f"{span.low}-{span.high}" if span.high is not None else str(span.low)
    plural = span.high is not None or span.low != 1
    return f"{count} {span.unit}{'s' if plural else ''}"


def _add_working_days(start: date, days: int) -> date:
    weeks, rest = divmod(days, 5)
    end = start + timedelta(weeks=weeks)
    while rest:
        end += timedelta(days=1)
        if end.weekday() < 5:
            rest -= 1
    return end


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    # Chinese numerals up to 99: "十五", "三十", "四十五".
    tens, sep, units = text.partition("十")
    if not sep:
        return _ZH_DIGITS.get(text) if len(text) == 1 else None
    high = _ZH_DIGITS.get(tens, 0 if tens else 1) if len(tens) <= 1 else 0
    low = _ZH_DIGITS.get(units, 0) if len(units) <= 1 else 0
    return high * 10 + low or None


def _iso(match: re.Match[str], order: Order, base: date) -> list[date | None]:
    return [_make(int(match.group(1)), int(match.group(3)), int(match.group(4)))]


def _cjk(match: re.Match[str], order: Order, base: date) -> list[date | None]:
    year, month, day = match.group(1), int(match.group(2)), int(match.group(3))
    return [_make(int(year), month, day)] if year else _next(month, day, base)


def _numeric(match: re.Match[str], order: Order, base: date) -> list[date | None]:
    first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    year += 2000 if year < 100 else 0
    day_first = _make(year, second, first)
    month_first = _make(year, first, second)
    # The stated order first; the other one when only it is a real or plausible date.
    return [day_first, month_first] if order == "DMY" else [month_first, day_first]


def _day_dot_month(match: re.Match[str], order: Order, base: date) -> list[date | None]:
    return _next(int(match.group(2)), int(match.group(1)), base) if order == "DMY" else []


def _day_month(match: re.Match[str], order: Order, base: date) -> list[date | None]:
    day, month = int(match.group(1)), MONTHS[match.group(2).lower()]
    year = match.group(3)
    return [_make(int(year), month, day)] if year else _next(month, day, base)


def _month_day(match: re.Match[str], order: Order, base: date) -> list[date | None]:
    month, day = MONTHS[match.group(1).lower()], int(match.group(2))
    year = match.group(3)
    return [_make(int(year), month, day)] if year else _next(month, day, base)


def _next(month: int, day: int, base: date) -> list[date | None]:
    this_year = _make(base.year, month, day)
    if this_year is not None and this_year >= base:
        return [this_year]
    return [_make(base.year + 1, month, day)]


def _make(year: int, month: int, day: int) -> date | None:
    if not 2000 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


# Tried in this order; a later pattern never reads text an earlier one already took.
_READERS = (
    (_ISO, _iso),
    (_CJK, _cjk),
    (_NUMERIC, _numeric),
    (_DAY_MONTH, _day_month),
    (_MONTH_DAY, _month_day),
    (_DAY_DOT_MONTH, _day_dot_month),
)
