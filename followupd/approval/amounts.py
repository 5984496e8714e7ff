"""Amounts of time and calendar days as a rep writes them in a command (pure).

"3d", "12 hours", "a week", "3天", "两周"; "2026-12-01", "2026/12/01", "2026年12月1日",
"1 Dec 2026", "December 1st, 2026". Both the reply grammar and the digest grammar read them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from followupd.errors import CommandError

__all__ = ["MAX_DELAY", "MIN_DELAY", "read_date", "read_delay"]

# A snooze shorter than an hour is no decision at all, and one longer than a quarter is a
# pause, which should name its day.
MIN_DELAY = timedelta(hours=1)
MAX_DELAY = timedelta(days=90)

_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "小时", "钟头"), timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days", "天", "日"), timedelta(days=1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks", "周", "星期", "礼拜"), timedelta(weeks=1)),
}
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_WORD_NUMBERS |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_CN_DIGITS |= {"九": 9}
_DELAY = re.compile(
    r"(\d{1,4}|[一二两三四五六七八九十]{1,3}|(?:an?|one|two|three|four|five|six|seven|eight|"
    r"nine|ten)(?=\s))\s*个?\s*(hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|小时|钟头|"
    r"天|日|周|星期|礼拜)(?![a-z0-9])",
    re.IGNORECASE,
)
_MONTH_NAMES = (
    r"(january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct")
_MONTHS = {m: n for n, m in enumerate((*_MONTH_ABBREVIATIONS, "nov", "dec"), 1)}
_DATE_NUMERIC = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*[日号]?")
_DATE_DAY_MONTH = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+{_MONTH_NAMES},?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)
_DATE_MONTH_DAY = re.compile(
    rf"{_MONTH_NAMES}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.IGNORECASE
)


def read_delay(text: str, pos: int = 0) -> tuple[timedelta, int] | None:
    """The amount of time written at ``text[pos:]`` ("3d", "12 hours", "2 weeks", "3天",
    "两周") and the index just after it, or None when none is written there.

    Raises :class:`CommandError` when the amount is outside MIN_DELAY..MAX_DELAY.
    """
    match = _DELAY.match(text, pos)
    if match is None:
        return None
    count = _amount(match.group(1))
    if count is None:
        return None
    delay = count * _UNITS[match.group(2).lower()]
    if not MIN_DELAY <= delay <= MAX_DELAY:
        raise CommandError(
            f"cannot snooze for {match.group(0).strip()!r}: choose between 1 hour and "
            f"{MAX_DELAY.days} days; to hold a thread longer, use pause until <date>"
        )
    return delay, match.end()


def read_date(text: str, pos: int = 0) -> tuple[date, int] | None:
    """The calendar day written at ``text[pos:]`` (2026-12-01, 2026/12/01, 2026年12月1日,
    1 Dec 2026, December 1, 2026) and the index just after it, or None.

    Raises :class:`CommandError` for a day that does not exist (2026-02-30).
    """
    if match := _DATE_NUMERIC.match(text, pos):
        year, month, day = (int(match.group(i)) for i in (1, 2, 3))
    elif match := _DATE_DAY_MONTH.match(text, pos):
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)[:3].lower()], int(match[3])
    elif match := _DATE_MONTH_DAY.match(text, pos):
        month, day, year = _MONTHS[match.group(1)[:3].lower()], int(match[2]), int(match[3])
    else:
        return None
    try:
        return date(year, month, day), match.end()
    except ValueError:
        raise CommandError(f"{match.group(0).strip()!r} is not a day in the calendar") from None


def _amount(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word.lower() in _WORD_NUMBERS:
        return _WORD_NUMBERS[word.lower()]
    if "十" not in word:
        return _CN_DIGITS.get(word)
    tens, _, ones = word.partition("十")
    if "十" in ones or (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
        return None
    return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
