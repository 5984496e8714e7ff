"""Amounts of money in running text: "USD 12,480.00", "EUR 9.800,50", "RMB ¥86,000", "12 480 руб."

A number counts as money only when a currency code, symbol or word stands right before or
after it, so phone numbers, dates, quantities and model numbers in the same mail are never
read as amounts. The decimal separator is told from the digits: the last of two different
separators is the decimal one; a lone separator followed by exactly three digits groups
thousands ("EUR 9.800" is nine thousand eight hundred), otherwise it marks decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from followupd.trade.currency import EXTRACT_CODES, SYMBOLS, ZERO_DECIMAL, currency_code

__all__ = ["Money", "MoneyHit", "find_money", "format_money", "parse_number"]


@dataclass(frozen=True, slots=True)
class Money:
    """An amount, and its currency when one was named."""

    amount: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class MoneyHit:
    """One amount found in a line: its span, value, and whether it is a price per unit."""

    start: int
    end: int
    money: Money
    per_unit: bool


# A number with consistent thousands grouping ("12,480", "12.480", "12 480", "12'480") and
# at most two decimals, or a plain number. Nine integer digits at most: longer runs are
# account or phone numbers, never the value of a PI.
_NUMBER = re.compile(
    r"(?<![\d.,])"
    r"(?:\d{1,3}(?P<sep>[,.' ’])\d{3}(?:(?P=sep)\d{3}){0,2}(?:[.,]\d{1,2})?"
    r"|\d{1,9}(?:[.,]\d{1,4})?)"
    r"(?!\d)"
)
_CODES = "|".join(sorted(EXTRACT_CODES | {"RMB"})) + "|(?i:usd|eur|rmb|cny|gbp)"
_LETTER_SYMBOLS = "|".join(re.escape(s) for s in SYMBOLS if s[0].isalpha())
_PLAIN_SYMBOLS = "|".join(re.escape(s) for s in SYMBOLS if not s[0].isalpha())
_SYMBOLS = rf"(?<![A-Za-z])(?:{_LETTER_SYMBOLS})|{_PLAIN_SYMBOLS}"
# "元旦" is New Year's Day, not yuan.
_CJK_WORDS = "人民币|美元|美金|欧元|英镑|日元|元(?!旦)|円"
_OTHER_WORDS = (
    r"(?i:dollars?|d[óo]lares(?:\s+americanos)?|долл(?:аров|ара)?\.?|euros?|евро|"
    r"руб(?:лей|ля|ль)?\.?|reais|yuan|zł|kč)(?![^\W\d_])"
)
# Matched against the text just before a number ("USD ", "US$", "RMB ¥", "Total (USD): ").
_PREFIX = re.compile(
    rf"(?:(?<![A-Za-z])(?P<code>{_CODES})(?![A-Za-z])\s*(?:{_SYMBOLS})?"
    rf"|(?P<word>人民币|美元|美金|欧元|英镑|日元)|(?P<sym>{_SYMBOLS}))[\s:：)\]]{{0,4}}$"
)
# Matched against the text just after a number ("12,480 USD", "9.800,50 €", "86000元").
_SUFFIX = re.compile(
    rf"\s?(?:(?P<code>{_CODES})(?![A-Za-z])|(?P<word>{_CJK_WORDS}|{_OTHER_WORDS})"
    rf"|(?P<sym>{_PLAIN_SYMBOLS}))"
)
# What follows a price per unit: "USD 0.25/pc", "$2.35 each", "12 € pro Stück", "5元每件".
_PER_UNIT = re.compile(
    r"\s{0,2}(?:/\s*[^\W\d_]|per\b|each\b|ea\b|por\s+(?:unidad|pieza|pza|pc|peça|unidade)|"
    r"la\s+pi[èe]ce|l['’]unit[ée]|par\s+(?:pi[èe]ce|unit[ée])|pro\s+st(?:ü|ue)ck|"
    r"je\s+st(?:ü|ue)ck|за\s+(?:шт|ед)|cada\b|每)",
    re.IGNORECASE,
)
# A number that goes on ("+86 574 8765 4321", "2026-12-15") is not an amount.
_CONTINUES = re.compile(r"[ \-/]\d")
_LEFT_WINDOW = 16
_MAX_AMOUNT = Decimal(10) ** 10


def find_money(line: str, *, yen: str = "CNY") -> list[MoneyHit]:
    """Every amount with a currency in ``line``, in order; "¥" stands for ``yen``."""
    hits: list[MoneyHit] = []
    for match in _NUMBER.finditer(line):
        start, end = match.span()
        amount = parse_number(match.group(0))
        if amount is None or not 0 < amount < _MAX_AMOUNT or _CONTINUES.match(line, end):
            continue
        currency: str | None = None
        left = _PREFIX.search(line[max(0, start - _LEFT_WINDOW) : start])
        if left is not None:
            currency = _currency(left, yen)
            start -= len(left.group(0))
        elif (right := _SUFFIX.match(line, end)) is not None:
            currency = _currency(right, yen)
            end = right.end()
        if currency is None:
            continue
        per_unit = _PER_UNIT.match(line, end) is not None
        hits.append(MoneyHit(start, end, Money(amount, currency), per_unit))
    return hits


def parse_number(text: str) -> Decimal | None:
    """The value of a written number ("12,480.00", "12.480,00", "12 480", "0.125")."""
    digits = text.strip().replace(" ", "").replace("'", "").replace("’", "")
    if not digits:
        return None
    dot, comma = digits.rfind("."), digits.rfind(",")
    if dot >= 0 and comma >= 0:
        decimal_sep = "." if dot > comma else ","
        grouping = "," if decimal_sep == "." else "."
        digits = digits.replace(grouping, "").replace(decimal_sep, ".")
    elif dot >= 0 or comma >= 0:
        sep = "." if dot >= 0 else ","
        head, _, tail = digits.rpartition(sep)
        # "9.800" and "12,480" group thousands; "0.125" and "12,5" carry decimals.
        if digits.count(sep) > 1 or (len(tail) == 3 and head.strip("0") != ""):
            digits = digits.replace(sep, "")
        else:
            digits = f"{head}.{tail}"
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def format_money(amount: Decimal, currency: str | None) -> str:
    """``amount`` as a rep reads it: "USD 12,480.00", "JPY 1,200,000", "12,480.00"."""
    if currency in ZERO_DECIMAL and amount == amount.to_integral_value():
        number = f"{amount:,.0f}"
    elif _has_cents_at_most(amount):
        number = f"{amount:,.2f}"
    else:
        number = f"{amount:,f}"
    return f"{currency} {number}" if currency else number


def _currency(match: re.Match[str], yen: str) -> str | None:
    token = match.group("code") or match.group("word") or match.group("sym") or ""
    return currency_code(token, yen=yen)


def _has_cents_at_most(amount: Decimal) -> bool:
    try:
        return amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:  # Too many digits to quantize: show it as it is.
        return False
