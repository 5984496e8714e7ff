"""Read the trade context of a thread from the mail that enrolled it.

Only the rep's own words count: the subject, the new body text above any quote, and the
attachment names (see :mod:`.owntext`). Each fact is read by one step, and the steps run in
the order of :data:`STEPS`; a step that finds nothing leaves its fields unknown, and the
rep can fill them in with ``set <key> <value>``. Reading is rule-based and the same input
always gives the same context: dates are relative to the day the mail was sent, never the
wall clock.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from followupd.trade import cues
from followupd.trade.context import TradeContext
from followupd.trade.cues import Segment
from followupd.trade.currency import yen_for
from followupd.trade.dates import Span, add_span, find_dates, find_spans
from followupd.trade.document import find_type_and_ref
from followupd.trade.money import find_money
from followupd.trade.owntext import Line, own_lines
from followupd.trade.products import product_items
from followupd.trade.terms import describe_lead, find_incoterm, from_stock, parse_payment

__all__ = ["STEPS", "extract_context"]

log = logging.getLogger(__name__)

# A validity further out than this, or a shipment date, is a misreading (an order
# number, a year-end closing date) rather than what the PI says.
_VALIDITY_AHEAD = timedelta(days=3 * 365)
_SHIPMENT_AHEAD = timedelta(days=2 * 365)
# How much text after a cue may hold its value ("valid until Monday, 15 December 2026").
_WINDOW = 90
_LOOKBACK = 24
_WINDOW_END = re.compile(r"[;；。]")
_MAX_ATTACHMENTS = 30
_MAX_NAME = 200

Found = dict[str, tuple[Any, str]]


@dataclass(frozen=True, slots=True)
class _Mail:
    subject: str
    lines: list[Line]
    parts: list[tuple[Line, list[Segment]]]
    attachments: tuple[str, ...]
    sent: date
    cadence: str
    yen: str


def extract_context(
    subject: str, text: str, attachments: Sequence[str], *, sent: date, cadence: str
) -> TradeContext:
    """The trade context the enrolled mail states; unknown fields stay empty.

    ``text`` is the plain-text body, ``attachments`` the attachment file names, ``sent`` the
    day the rep sent the mail (relative validities such as "30 days" count from it) and
    ``cadence`` the cadence the thread was enrolled in (it tells the document type when the
    mail does not). Never raises: a step that fails on odd input is logged and skipped.
    """
    mail = _mail(subject, text, attachments, sent=sent, cadence=cadence)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, step in STEPS:
        try:
            found = step(mail)
        except Exception:  # One unreadable fact must not cost the others.
            log.warning("trade context step %s failed", name, exc_info=True)
            continue
        for field, (value, source) in found.items():
            values[field], sources[field] = value, source
    try:
        return TradeContext(**values, sources=sources)
    except ValueError:
        log.warning("trade context read from the mail is invalid", exc_info=True)
        return TradeContext()


def _mail(
    subject: str, text: str, attachments: Sequence[str], *, sent: date, cadence: str
) -> _Mail:
    lines = own_lines(subject, text)
    names = tuple(name[:_MAX_NAME] for name in list(attachments)[:_MAX_ATTACHMENTS])
    return _Mail(
        subject=lines[0].text if lines and lines[0].source == "subject" else "",
        lines=lines,
        parts=[(line, cues.segments(line.text)) for line in lines],
        attachments=names,
        sent=sent,
        cadence=cadence,
        yen=yen_for("\n".join(line.text for line in lines)),
    )


def _document(mail: _Mail) -> Found:
    body = [line for line in mail.lines if line.source == "body"]
    return find_type_and_ref(mail.subject, body, mail.attachments, mail.cadence)


def _amount(mail: _Mail) -> Found:
    best: tuple[int, Decimal, str | None, str] | None = None
    carried = ""
    for line in mail.lines:
        text = line.text
        hits = find_money(text, yen=mail.yen)
        # A label alone on the line above its amount ("Total amount:" / "USD 12,480.00").
        position, before_first = 0, carried
        for hit in hits:
            before = before_first + text[position : hit.start]
            before_first, position = "", hit.end
            score = _amount_score(before)
            if score is None or hit.per_unit:
                continue
            candidate = (score, hit.money.amount, hit.money.currency, line.source)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        carried = text if not hits and text.endswith((":", "：")) else ""
    if best is None:
        return {}
    _, amount, currency, source = best
    return {"amount": (amount, source), "currency": (currency, source)}


def _amount_score(before: str) -> int | None:
    """How surely the amount after ``before`` is the deal's value; ``None``: it is not."""
    if cues.UNIT_PRICE.search(before) or cues.PART_PAYMENT.search(before):
        return None
    # A number after "Tel:" is a phone number, whatever sign stands next to it.
    if cues.CONTACT.search(before):
        return None
    if cues.SUBTOTAL.search(before):
        return 1
    if cues.TOTAL.search(before):
        return 3
    # "30%: USD 3,744" is a share of the deal; "Total (incl. 13% VAT):" is all of it.
    if cues.CHARGE.search(before) or "%" in before:
        return None
    return 2 if cues.AMOUNT.search(before) else 1


def _validity(mail: _Mail) -> Found:
    latest = _plus(mail.sent, _VALIDITY_AHEAD)
    for line, text, lang, before in _windows(mail, "validity", cues.VALIDITY):
        for reading in _readings(text, lang, mail.sent):
            if isinstance(reading, date):
                if mail.sent <= reading <= latest:
                    return {"validity": (reading, line.source)}
            elif (end := add_span(mail.sent, reading)) is not None and end <= latest:
                return {"validity": (end, line.source)}
        # "30 days validity", "30天内有效": the span comes before the cue.
        span = _span_before(before)
        if span is not None and (end := add_span(mail.sent, span)) is not None and end <= latest:
            return {"validity": (end, line.source)}
    return {}


def _shipment(mail: _Mail) -> Found:
    latest = _plus(mail.sent, _SHIPMENT_AHEAD)
    for line, text, lang, before in _windows(mail, "shipment", cues.SHIPMENT):
        for reading in _readings(text, lang, mail.sent):
            if isinstance(reading, date):
                if mail.sent <= reading <= latest:
                    return {"shipment_date": (reading, line.source)}
            else:
                return {"lead_time": (describe_lead(reading, before + text), line.source)}
        span = _span_before(before)
        if span is not None:
            return {"lead_time": (describe_lead(span, before + text), line.source)}
        if from_stock(text):
            return {"lead_time": ("from stock", line.source)}
    return {}


def _plus(day: date, delta: timedelta) -> date:
    try:
        return day + delta
    except OverflowError:
        return date.max


def _windows(
    mail: _Mail, field: str, cue_list: tuple[tuple[str, re.Pattern[str]], ...]
) -> Iterator[tuple[Line, str, str, str]]:
    """(line, text after the cue, its language, text before it) for each mention of ``field``.

    Text a label owns comes first ("Validity: 30 days"), then cues inside running text
    ("the price is valid until 15 December").
    """
    for line, parts in mail.parts:
        for part in parts:
            if part.field == field:
                yield line, _cut(part.text), cues.language_of(part.label, cue_list), ""
    for line, parts in mail.parts:
        for part in parts:
            if part.field == field:
                continue
            for start, end, lang in _cue_matches(part.text, cue_list):
                before = part.text[max(0, start - _LOOKBACK) : start]
                if field == "shipment" and _negated(part.text, start, end):
                    continue
                yield line, _cut(part.text[end : end + _WINDOW]), lang, before


def _cue_matches(
    text: str, cue_list: tuple[tuple[str, re.Pattern[str]], ...]
) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), lang) for lang, cue in cue_list for m in cue.finditer(text)]
    return sorted(found)


def _negated(text: str, start: int, end: int) -> bool:
    # "70% before shipment" and "发货前" speak of payment, not of when goods ship.
    if cues.SHIPMENT_NEGATED.search(text[max(0, start - 16) : start]):
        return True
    return text[end : end + 1] in {"前", "后"}


def _cut(text: str) -> str:
    window = text[:_WINDOW]
    end = _WINDOW_END.search(window)
    return window[: end.start()] if end else window


def _readings(text: str, lang: str, sent: date) -> list[date | Span]:
    """Dates (each reading) and spans in ``text``, in the order they are written."""
    dates = find_dates(text, order="MDY" if lang == "en" else "DMY", base=sent)
    found: list[tuple[int, date | Span]] = [(hit.start, r) for hit in dates for r in hit.readings]
    # "12月15日" is a date; the "15日" inside it is not a span of fifteen days.
    found.extend(
        (hit.start, hit.span)
        for hit in find_spans(text)
        if not any(d.start < hit.end and hit.start < d.end for d in dates)
    )
    return [reading for _, reading in sorted(found, key=lambda pair: pair[0])]


def _span_before(before: str) -> Span | None:
    spans = find_spans(before)
    if spans and spans[-1].end >= len(before.rstrip()) - 3:
        return spans[-1].span
    return None


def _incoterm(mail: _Mail) -> Found:
    for line in mail.lines:
        term = find_incoterm(line.text)
        if term is not None:
            return {"incoterm": (term, line.source)}
    return {}


def _payment(mail: _Mail) -> Found:
    for index, (line, parts) in enumerate(mail.parts):
        for part in parts:
            if part.field != "payment":
                continue
            text = part.text
            if len(text.strip()) < 3:
                # "Payment terms:" alone, the terms on the lines below it.
                text = " ; ".join(_following(mail, index))
            terms = parse_payment(text)
            if terms:
                return {"payment_terms": (terms, line.source)}
    for line, parts in mail.parts:
        for part in parts:
            if part.field in {"shipment", "validity", "products"}:
                continue
            match = cues.PAYMENT.search(part.text)
            terms = parse_payment(part.text[match.end() :] if match else part.text)
            # Without a payment word only shares are believed ("30% deposit, balance
            # before shipment"): "wire transfers" in a bank's auto-reply are no terms.
            if terms and (match is not None or "%" in terms):
                return {"payment_terms": (terms, line.source)}
    return {}


def _following(mail: _Mail, index: int) -> Iterator[str]:
    for line, parts in mail.parts[index + 1 : index + 4]:
        if parts and parts[0].field is not None:
            return
        yield line.text


def _products(mail: _Mail) -> Found:
    items: list[str] = []
    source = ""
    for line, parts in mail.parts:
        for part in parts:
            if part.field == "products":
                new = product_items(part.text)
                source = source or (line.source if new else "")
                items.extend(new)
    unique = tuple(dict.fromkeys(items))[:10]
    return {"products": (unique, source)} if unique else {}


# The order of reading; each step sets only its own fields.
# The rep enrolls a buyer met at a fair as a key buyer or a lead by the cadence they choose.
_CADENCE_TIERS = {"expo-key": "key", "expo-lead": "lead"}


def _tier(mail: _Mail) -> Found:
    tier = _CADENCE_TIERS.get(mail.cadence)
    return {"tier": (tier, "cadence")} if tier else {}


STEPS: tuple[tuple[str, Callable[[_Mail], Found]], ...] = (
    ("document", _document),
    ("amount", _amount),
    ("validity", _validity),
    ("shipment", _shipment),
    ("incoterm", _incoterm),
    ("payment", _payment),
    ("products", _products),
    ("tier", _tier),
)
