"""The day an out-of-office sender says they are back, read from the notice's own words.

Only sentences with a return cue ("until", "back on", "bis", "jusqu'au", "至", "まで" ...)
are read, and only near the cue, so a disclaimer or the quoted quotation ("price valid
until 30 December") cannot lend its dates. The cue's language tells :mod:`dateparser`
which month names and day order to expect. Of all the dates found the latest plausible one
wins: "from 1 to 10 December, back on 11 December" means the 11th.

Everything is computed relative to the day the notice was received, never the wall clock,
so the result is a pure function of the message.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any

from dateparser.search import search_dates

from followupd.approval.commands import strip_quoted

__all__ = ["RETURN_CUES", "return_date"]

log = logging.getLogger(__name__)

# (language, cue). The language is a dateparser language code.
RETURN_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (lang, re.compile(p, re.IGNORECASE))
    for lang, p in (
        (
            "en",
            r"\b(?:until|till|through|thru|back|return(?:ing)?|away|out of (?:the )?office|"
            r"leave|vacation|holidays?|travell?ing)\b",
        ),
        ("de", r"\b(?:bis|zurück|wieder|ab dem|abwesend|urlaub)\b"),
        ("fr", r"\b(?:jusqu|retour|absente?|congés?)\b"),
        ("es", r"\b(?:hasta|regres\w*|volver[ée]|vuelta|fuera de la oficina|vacaciones)\b"),
        ("pt", r"\b(?:até|retorn\w*|voltarei|regress\w*|férias)(?!\w)"),
        ("it", r"\b(?:fino a\w*|rientr\w*|torner\w*|ferie)\b"),
        ("nl", r"\b(?:tot|terug|afwezig|vakantie)\b"),
        ("ru", r"(?<!\w)(?:до|по|вернусь|отпуске|командировке)(?!\w)"),
        ("tr", r"(?:kadar|dönece\w*|dönüş\w*|izinde\w*)"),
        ("ar", r"(?:حتى|لغاية|سأعود|بتاريخ|إجازة)"),
        ("zh", r"(?:返回|回到|回来|返岗|上班|至|到|截至|休假|出差)"),
        ("ja", r"(?:まで|戻り|帰社|復帰|不在)"),
    )
)

# Dates dateparser reads poorly or not at all: ISO dates and Chinese/Japanese month-day.
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_CJK_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?")
# "1 to 10 December", "July 10-31", "vom 1. bis 10.": a range of bare day numbers is read
# as its last day, the day the absence ends.
_DAY_RANGE = re.compile(
    r"(?<![\d./:-])(\d{1,2})(?:st|nd|rd|th|er|\.|º)?\s*"
    r"(?:-|–|—|~|～|to|till|until|through|bis|au|al|a|à|tot|t/m|ile|по|до)\s*"
    r"(\d{1,2})(?![\d/:])(?!\.\d)",
    re.IGNORECASE,
)
# Sentence ends; a full stop right after a digit is not one ("10. Dezember", "10.12.").
_SENTENCE_END = re.compile(r"(?<!\d)[.!?](?:\s+|$)|[。！？\n]")
_NUMERIC_DAY_MONTH = re.compile(r"\b\d{1,2}[/.]\d{1,2}\b")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How far around a cue a date may stand: enough for "until Monday, 7 December 2026".
_BEFORE, _AFTER = 30, 60
_MAX_LINES = 15
_MAX_AHEAD = timedelta(days=365)
_DAY_ORDER = {"en": "MDY", "zh": "YMD", "ja": "YMD"}


def return_date(text: str, subject: str, *, received: datetime | None) -> date | None:
    """The day the sender says they are back, or ``None`` when no plausible date is stated.

    ``received`` anchors relative words ("until Monday") and years left out; dates before
    that day or more than a year after it are discarded. Without ``received`` there is no
    day to anchor to and the answer is ``None``.
    """
    if received is None:
        return None
    first = received.date()
    lines = [subject, *(x for x in strip_quoted(text).split("\n") if x.strip())][:_MAX_LINES]
    found: list[date] = []
    for line in lines:
        for sentence in _SENTENCE_END.split(_DAY_RANGE.sub(r"\2", line)):
            found.extend(_dates_in_sentence(sentence, received))
    plausible = [d for d in found if first <= d <= first + _MAX_AHEAD]
    return max(plausible, default=None)


def _dates_in_sentence(sentence: str, received: datetime) -> list[date]:
    found: list[date] = []
    for lang, cue in RETURN_CUES:
        for match in cue.finditer(sentence):
            start = max(0, match.start() - _BEFORE)
            window = sentence[start : match.end() + _AFTER]
            found.extend(_dates_in_window(window, lang, received))
    return found


def _dates_in_window(window: str, lang: str, received: datetime) -> list[date]:
    found = [_safe_date(int(y), int(m), int(d)) for y, m, d in _ISO.findall(window)]
    for y, m, d in _CJK_DATE.findall(window):
        found.append(_cjk_date(y, int(m), int(d), received.date()))
    rest = _CJK_DATE.sub(" ", _ISO.sub(" ", window))
    order = _DAY_ORDER.get(lang, "DMY")
    if lang == "en" and _NUMERIC_DAY_MONTH.search(rest):
        found.extend(_either_order(rest, received))
    else:
        found.extend(_parse(rest, lang, order, received))
    return [d for d in found if d is not None]


def _either_order(text: str, received: datetime) -> list[date]:
    # English mail writes 7/12 both ways. A weekday named next to it settles the order;
    # otherwise the earlier reading wins, because absences are short.
    readings = [_parse(text, "en", order, received) for order in ("MDY", "DMY")]
    first = received.date()
    candidates = [
        (last, reading)
        for reading in readings
        if (last := max((d for d in reading if d >= first), default=None)) is not None
    ]
    named = {i for i, day in enumerate(_WEEKDAYS) if day in text.lower()}
    on_named_day = [pair for pair in candidates if pair[0].weekday() in named]
    return min(on_named_day or candidates, default=(first, []))[1]


def _parse(text: str, lang: str, order: str, received: datetime) -> list[date]:
    if not any(ch.isdigit() or ch.isalpha() for ch in text):
        return []
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future",
        # dateparser compares naive values; the sender's own wall time is what they meant.
        "RELATIVE_BASE": received.replace(tzinfo=None),
        "DATE_ORDER": order,
        "PREFER_DAY_OF_MONTH": "first",
    }
    try:
        hits = search_dates(text, languages=[lang], settings=settings)
    except Exception:  # A third-party parser on arbitrary text: a missed date is harmless.
        log.debug("dateparser failed on a %s return-date window", lang, exc_info=True)
        return []
    return [when.date() for _, when in hits or ()]


def _cjk_date(year: str, month: int, day: int, first: date) -> date | None:
    # Without a year the date is the next such day on or after the day received.
    if year:
        return _safe_date(int(year), month, day)
    this_year = _safe_date(first.year, month, day)
    if this_year is not None and this_year >= first:
        return this_year
    return _safe_date(first.year + 1, month, day)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
