"""The trade facts a rep may correct, how each is read from what the rep typed, and shown.

A rep corrects a fact by replying ``set <key> <value>`` to any followupd mail or with
``followupd thread set ID key=value``; both end in :func:`parse_set` then :func:`apply`.
``none`` (or ``-``) clears a value. Errors name the key, the expected form and what was
typed, so the rep can fix the command without reading documentation.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import dateparser

from followupd.errors import CommandError
from followupd.trade.context import INCOTERMS, TradeContext
from followupd.trade.currency import ISO_CODES, currency_code
from followupd.trade.dates import add_span, find_dates, find_spans
from followupd.trade.money import Money, format_money, parse_number
from followupd.trade.products import MAX_PRODUCT
from followupd.trade.terms import lead_time, parse_incoterm, parse_payment

__all__ = ["CLEAR", "SETTABLE", "Setter", "apply", "parse_set", "shown", "typed"]

log = logging.getLogger(__name__)

CLEAR = frozenset({"none", "-", "clear", "unknown", "n/a", "无"})
_MAX_AHEAD = timedelta(days=5 * 365)
_MAX_REF = 40
_MAX_TEXT = 120
_MAX_NOTE = 500
_MAX_PRODUCTS = 10
_MAX_AMOUNT = Decimal(10) ** 10


class _Invalid(Exception):
    """The value does not have the key's form; the message, when given, says why."""


@dataclass(frozen=True, slots=True)
class Setter:
    """One settable key: the field it sets, the form it expects, and its reader.

    ``read`` takes the typed value (whitespace collapsed) and today, and returns the field
    actually set and the typed value for it.
    """

    field: str
    expected: str
    read: Callable[[str, date], tuple[str, object]]


def _validity(text: str, today: date) -> tuple[str, object]:
    day = _date(text, today)
    if day < today:
        raise _Invalid(f"{day.isoformat()} is already past (today is {today.isoformat()})")
    return "validity", day


def _shipment(text: str, today: date) -> tuple[str, object]:
    # A date ships on that day; anything else is a lead time, kept in the rep's words when
    # it is not one of the forms followupd knows ("after the Chinese New Year").
    hits = find_dates(text, order="DMY", base=today)
    if hits:
        return "shipment_date", hits[0].readings[0]
    lead = lead_time(text)
    if lead is not None:
        return "lead_time", lead
    parsed = _dateparser(text, today)
    if parsed is not None:
        return "shipment_date", parsed
    return "lead_time", _short(text)


def _amount(text: str, today: date) -> tuple[str, object]:
    match = re.fullmatch(
        r"(?P<pre>[^\d]*?)\s*(?P<number>\d(?:[\d.,' ]*\d)?)\s*(?P<post>[^\d]*)", text
    )
    if match is None:
        raise _Invalid
    amount = parse_number(match.group("number"))
    if amount is None or not 0 < amount < _MAX_AMOUNT:
        raise _Invalid
    words = f"{match.group('pre')} {match.group('post')}".split()
    codes = {_currency_word(word) for word in words}
    if None in codes or len(codes) > 1:
        raise _Invalid(f"{' '.join(words)!r} is not a currency; write its code, like USD 12480")
    return "amount", Money(amount, codes.pop() if codes else None)


def _currency_word(word: str) -> str | None:
    # "USD$" and "RMB¥" name one currency twice; "US$" is one symbol.
    code = currency_code(word)
    if code is not None:
        return code
    codes = {currency_code(part) for part in re.findall(r"[^\W\d_]+|[^\w\s]+", word)}
    return codes.pop() if len(codes) == 1 else None


def _currency(text: str, today: date) -> tuple[str, object]:
    code = currency_code(text)
    if code is None or code not in ISO_CODES:
        raise _Invalid
    return "currency", code


def _ref(text: str, today: date) -> tuple[str, object]:
    if len(text) > _MAX_REF or not any(ch.isalnum() for ch in text):
        raise _Invalid
    return "document_ref", text


_TYPES = {
    "pi": "proforma invoice",
    "p/i": "proforma invoice",
    "proforma": "proforma invoice",
    "proforma invoice": "proforma invoice",
    "quote": "quotation",
    "quotation": "quotation",
    "offer": "quotation",
    "sample": "sample",
    "samples": "sample",
    "expo": "trade-show lead",
    "lead": "trade-show lead",
    "fair": "trade-show lead",
    "trade show": "trade-show lead",
    "trade-show": "trade-show lead",
    "trade-show lead": "trade-show lead",
    "order": "order",
    "po": "order",
    "purchase order": "order",
}


def _type(text: str, today: date) -> tuple[str, object]:
    kind = _TYPES.get(text.lower())
    if kind is None:
        raise _Invalid
    return "document_type", kind


def _incoterm(text: str, today: date) -> tuple[str, object]:
    term = parse_incoterm(text)
    if term is None:
        raise _Invalid
    return "incoterm", term


def _payment(text: str, today: date) -> tuple[str, object]:
    # Terms followupd does not recognise are kept as typed: the rep knows the deal.
    return "payment_terms", parse_payment(text) or _short(text)


def _products(text: str, today: date) -> tuple[str, object]:
    items = tuple(dict.fromkeys(x.strip() for x in re.split(r"[,;，；、]", text) if x.strip()))
    if len(items) > _MAX_PRODUCTS:
        raise _Invalid(f"at most {_MAX_PRODUCTS} products, got {len(items)}")
    if any(len(item) > MAX_PRODUCT for item in items):
        raise _Invalid(f"each product at most {MAX_PRODUCT} characters")
    return "products", items


_TIERS = {
    "key": "key",
    "vip": "key",
    "a": "key",
    "regular": "regular",
    "normal": "regular",
    "b": "regular",
    "lead": "lead",
    "new": "lead",
    "prospect": "lead",
}


def _tier(text: str, today: date) -> tuple[str, object]:
    tier = _TIERS.get(text.lower())
    if tier is None:
        raise _Invalid
    return "tier", tier


def _note(text: str, today: date) -> tuple[str, object]:
    if len(text) > _MAX_NOTE:
        raise _Invalid(f"at most {_MAX_NOTE} characters, got {len(text)}")
    return "notes", text


_DATE_FORM = "a date like 2026-12-15 or 15 Dec 2026"

# In the order the acknowledgement lists them.
SETTABLE: Mapping[str, Setter] = MappingProxyType(
    {
        "type": Setter("document_type", "one of pi, quote, sample, expo, order", _type),
        "ref": Setter("document_ref", f"the document number, at most {_MAX_REF} characters", _ref),
        "amount": Setter("amount", "an amount like USD 12480, 12480 USD or €9,800", _amount),
        "currency": Setter("currency", "an ISO 4217 code like USD, EUR or CNY", _currency),
        "validity": Setter("validity", f"{_DATE_FORM}, or a span like 30 days", _validity),
        "incoterm": Setter(
            "incoterm",
            f"an Incoterms 2020 code ({', '.join(INCOTERMS)}) and the place, like FOB Ningbo",
            _incoterm,
        ),
        "payment": Setter("payment_terms", "payment terms like 30% T/T deposit", _payment),
        "shipment": Setter(
            "shipment_date", f"{_DATE_FORM}, or a lead time like 25 days after deposit", _shipment
        ),
        "products": Setter("products", "products separated by commas", _products),
        "tier": Setter("tier", "one of key, regular, lead", _tier),
        "note": Setter("notes", f"a note for yourself, at most {_MAX_NOTE} characters", _note),
    }
)
# Other names reps and the CLI use for the same keys (the field names among them).
_ALIASES = {
    "valid": "validity",
    "expiry": "validity",
    "number": "ref",
    "no": "ref",
    "document_ref": "ref",
    "document_type": "type",
    "doc": "type",
    "document": "type",
    "payment_terms": "payment",
    "terms": "payment",
    "delivery": "shipment",
    "etd": "shipment",
    "shipment_date": "shipment",
    "lead_time": "shipment",
    "leadtime": "shipment",
    "product": "products",
    "items": "products",
    "notes": "note",
    "value": "amount",
    "total": "amount",
}


def parse_set(key: str, value: str, *, today: date) -> tuple[str, object]:
    """The field ``set <key> <value>`` sets and its typed value; ``none`` clears it.

    Raises :class:`CommandError` naming the valid keys, or the key's expected form.
    """
    name = key.strip().lower().replace("-", "_")
    name = _ALIASES.get(name, name)
    setter = SETTABLE.get(name)
    if setter is None:
        close = difflib.get_close_matches(name, [*SETTABLE, *_ALIASES], n=1)
        hint = f" (did you mean {_ALIASES.get(close[0], close[0])}?)" if close else ""
        raise CommandError(f"unknown key {key.strip()!r}{hint}; valid keys: {', '.join(SETTABLE)}")
    text = " ".join(value.split())
    if not text:
        raise CommandError(f"{name}: a value is needed: {setter.expected} (or none to clear it)")
    if text.lower() in CLEAR:
        return setter.field, () if setter.field == "products" else None
    try:
        return setter.read(text, today)
    except _Invalid as exc:
        reason = str(exc) or f"expected {setter.expected}, got {_limited(value.strip(), 60)!r}"
        raise CommandError(f"{name}: {reason}") from None


def apply(ctx: TradeContext, field: str, value: object) -> TradeContext:
    """``ctx`` with ``field`` (as :func:`parse_set` returned it) set to ``value`` by the rep.

    An amount given with its currency sets both. A shipment date and a lead time are two
    ways to say one thing, so setting either clears the other.
    """
    changes: dict[str, Any]
    if field == "amount" and isinstance(value, Money):
        changes = {"amount": value.amount}
        if value.currency is not None:
            changes["currency"] = value.currency
    elif field in {"shipment_date", "lead_time"}:
        other = "lead_time" if field == "shipment_date" else "shipment_date"
        changes = {field: value, other: None}
    else:
        changes = {field: value}
    sources = dict(ctx.sources)
    for name, new in changes.items():
        if new is None or new == ():
            sources.pop(name, None)
        else:
            sources[name] = "rep"
    return replace(ctx, **changes, sources=sources)


def shown(ctx: TradeContext, key: str) -> str | None:
    """The value of settable ``key`` in ``ctx`` as the rep reads and types it; ``None``: unknown.

    ``parse_set(key, shown(ctx, key))`` gives the same value back.
    """
    if key == "amount":
        return format_money(ctx.amount, ctx.currency) if ctx.amount is not None else None
    if key == "shipment":
        return ctx.shipment_date.isoformat() if ctx.shipment_date else ctx.lead_time
    value = getattr(ctx, SETTABLE[key].field)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(value) or None
    return str(value) if value is not None else None


def typed(ctx: TradeContext, key: str) -> str:
    """What to type after ``set <key>`` to state the current value (a sample when unknown)."""
    return shown(ctx, key) or _SAMPLES[key]


_SAMPLES = {
    "validity": "2026-12-15",
    "amount": "USD 12480",
    "currency": "USD",
    "ref": "PI-2026-118",
    "type": "pi",
    "incoterm": "FOB Ningbo",
    "payment": "30% T/T deposit, 70% before shipment",
    "shipment": "25 days after deposit",
    "products": "6204-2RS bearing, 6205-ZZ bearing",
    "tier": "key",
    "note": "met at Canton Fair, wants samples first",
}


def _date(text: str, today: date) -> date:
    hits = find_dates(text, order="DMY", base=today)
    # "05/12/2026" reads day first; the other order only when day first is no date.
    day = hits[0].readings[0] if hits else None
    if day is None and (found := find_spans(text)):
        day = add_span(today, found[0].span)
    if day is None:
        day = _dateparser(text, today)
    if day is None:
        raise _Invalid
    if abs(day - today) > _MAX_AHEAD:
        raise _Invalid(f"{day.isoformat()} is more than five years from today")
    return day


def _dateparser(text: str, today: date) -> date | None:
    # Free forms ("tomorrow", "in 2 weeks", "15 janvier") the patterns above do not know.
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "DATE_ORDER": "DMY",
        "REQUIRE_PARTS": ["day", "month"],
    }
    try:
        parsed = dateparser.parse(
            text[:_MAX_TEXT],
            languages=["en", "zh", "es", "fr", "de", "ru", "pt"],
            settings=settings,
        )
    except Exception:  # A third-party parser on a rep's free text: no date is the answer.
        log.debug("dateparser failed on a typed date", exc_info=True)
        return None
    return parsed.date() if isinstance(parsed, datetime) else None


def _short(text: str) -> str:
    if len(text) > _MAX_TEXT:
        raise _Invalid(f"at most {_MAX_TEXT} characters, got {len(text)}")
    return text


def _limited(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
