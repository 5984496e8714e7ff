"""The buyer's language and locale, and how dates and amounts are written for them.

Pure functions over babel's CLDR data: which template language a buyer gets, which locale
formats their dates and amounts, and the formatting itself (used by the ``date`` and ``money``
template filters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale, UnknownLocaleError, localedata
from babel.core import get_global
from babel.dates import format_date, format_skeleton
from babel.languages import get_official_languages
from babel.numbers import format_currency

from followupd.errors import TemplateError

FALLBACK_LANGUAGE = "en"
DATE_STYLES = ("medium", "long", "full")

# Names people write instead of the CLDR name.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "great britain": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "uae": "AE",
    "russia": "RU",
    "korea": "KR",
    "south korea": "KR",
    "holland": "NL",
    "turkey": "TR",
    "vietnam": "VN",
    "ivory coast": "CI",
}
# Where the country's main available language is not the one to write in unasked. Many
# Ukrainian buyers object to Russian, the second official language CLDR lists; English is
# the safe default until their own mails say otherwise.
_COUNTRY_LANGUAGE_OVERRIDES = {"UA": FALLBACK_LANGUAGE}
# Country names are recognised in the languages of the shipped templates.
_NAME_LANGUAGES = ("en", "es", "fr", "de", "ru", "pt")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def choose_language(
    country: str | None,
    available: Iterable[str],
    previous: str | None = None,
    fallback: str = FALLBACK_LANGUAGE,
) -> str:
    """The template language for a buyer.

    ``previous`` is the language of the buyer's own earlier mails when it is known: it wins,
    and when no template exists in it the answer is the fallback, because a buyer who chose to
    write in a language we cannot answer in is better served in English than in their
    country's other language. Otherwise the country decides: its official languages in CLDR's
    order, the first one available. ``country`` is an ISO code or a name ("DE", "Germany",
    "Deutschland"). The fallback (English unless the rep's mailbox says otherwise) is used
    when it is available, else English.
    """
    langs = {_base_language(lang) for lang in available}
    last_resort = _base_language(fallback) if _base_language(fallback) in langs else None
    default = last_resort or FALLBACK_LANGUAGE
    if previous:
        wanted = _base_language(previous)
        return wanted if wanted in langs else default
    code = country_code(country)
    if code is None:
        return default
    if code in _COUNTRY_LANGUAGE_OVERRIDES:
        return _COUNTRY_LANGUAGE_OVERRIDES[code]
    for lang in _official_languages(code):
        if lang in langs:
            return lang
    return default


def country_code(country: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of ``country`` (a code or a name), or None if unknown."""
    if not country or not country.strip():
        return None
    key = " ".join(country.split()).casefold()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(key) == 2 and key.isalpha():
        code = key.upper()
        return code if code in _country_names() else None
    return _codes_by_name().get(key)


def country_name(code: str, language: str) -> str | None:
    """The name of the country ``code`` in ``language`` ("DE", "fr" → "Allemagne")."""
    try:
        names = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        return None
    return names.get(code.upper())


def buyer_locale(language: str, country: str | None) -> str:
    """The locale that writes ``language`` the way the buyer's country does.

    ``("de", "AT")`` gives ``de_AT``; ``("en", "DE")`` gives ``en_DE`` (English words, German
    number format); a pair CLDR does not know gives the bare language.
    """
    lang = _base_language(language)
    code = country_code(country)
    if code and localedata.exists(f"{lang}_{code}"):
        return f"{lang}_{code}"
    return lang


def adapt_locale(locale: str | None, language: str) -> str:
    """The locale for a template in ``language`` given the buyer's ``locale``.

    The words of the mail are the template's, so the locale's language must be too: a buyer
    in Germany who gets the English template sees ``en_DE`` formats, not German month names.
    """
    lang = _base_language(language)
    if not locale:
        return lang
    parsed = _parse_locale(locale)
    return buyer_locale(lang, parsed.territory) if parsed.territory else lang


def format_day(value: object, locale: str, style: str = "medium") -> str:
    """A date for a mail: ``15 Dec 2026`` (en_GB), ``15. Dez. 2026`` (de), ``Dec 15, 2026`` (en).

    The medium style spells the month, so 03/04 can never be read as April 3 or March 4.
    """
    day = _as_date(value)
    loc = _parse_locale(locale)
    if style == "medium":
        return str(format_skeleton("yMMMd", day, locale=loc))
    if style in DATE_STYLES:
        return str(format_date(day, format=style, locale=loc))
    raise TemplateError(f"date style {style!r} is not one of {', '.join(DATE_STYLES)}")


def format_money(amount: object, currency: object, locale: str) -> str:
    """An amount in ``currency`` as the locale writes it: ``12.345,50 €`` (de), ``$12,345.50``."""
    if not isinstance(currency, str) or not _CURRENCY_RE.match(currency.strip().upper()):
        raise TemplateError(f"money needs a currency code like 'USD', got {currency!r}")
    return str(
        format_currency(_as_decimal(amount), currency.strip().upper(), locale=_parse_locale(locale))
    )


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise TemplateError(f"date needs a date or an ISO date like 2026-12-15, got {value!r}")


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise TemplateError(f"money needs an amount, got {value!r}")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float | str):
        try:
            # Through str so that 0.1 stays 0.1 instead of its binary expansion.
            return Decimal(str(value).strip())
        except InvalidOperation:
            pass
    raise TemplateError(f"money needs an amount, got {value!r}")


def _parse_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise TemplateError(f"locale {locale!r} is not a known locale like 'de_DE'") from exc


def _base_language(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].strip().lower()


def _official_languages(code: str) -> list[str]:
    return [_base_language(lang) for lang in get_official_languages(code, de_facto=True)]


@cache
def _country_names() -> dict[str, str]:
    """Every two-letter territory code with its English name (CLDR also lists regions)."""
    territories = Locale.parse("en").territories
    return {code: name for code, name in territories.items() if len(code) == 2 and code.isalpha()}


@cache
def _codes_by_name() -> dict[str, str]:
    codes = _country_names()
    by_name: dict[str, str] = {}
    for lang in _NAME_LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if code in codes:
                by_name.setdefault(name.casefold(), code)
    # The global table knows the alpha-3 codes too ("DEU"), which appear in trade documents.
    for alpha3, alpha2 in get_global("territory_aliases").items():
        if len(alpha3) == 3 and alpha3.isalpha() and alpha2[0] in codes:
            by_name.setdefault(alpha3.casefold(), alpha2[0])
    return by_name
