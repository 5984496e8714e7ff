"""The buyer's language and locale, the date and money formats, and the context builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from followupd.config.models import CompanySettings
from followupd.errors import TemplateError
from followupd.model import Contact, Thread
from followupd.templating.context import (
    company_context,
    company_from_settings,
    draft_context,
    next_closure,
)
from followupd.templating.locale import (
    adapt_locale,
    buyer_locale,
    choose_language,
    country_code,
    format_day,
    format_money,
)
from followupd.templating.schema import CONTEXT_SCHEMA, is_known, leaf_paths

SHIPPED = ["de", "en", "es", "fr", "pt", "ru"]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("DE", "de"),
        ("at", "de"),
        ("Germany", "de"),
        ("Deutschland", "de"),
        ("Allemagne", "de"),
        ("DEU", "de"),
        ("MX", "es"),
        ("Spain", "es"),
        ("BR", "pt"),
        ("Portugal", "pt"),
        ("AO", "pt"),
        ("FR", "fr"),
        ("Morocco", "fr"),  # Arabic first, but no Arabic templates: French, the trade language
        ("SN", "fr"),
        ("RU", "ru"),
        ("KZ", "ru"),
        ("BY", "ru"),
        ("UA", "en"),  # not Russian unasked
        ("CH", "de"),
        ("US", "en"),
        ("USA", "en"),
        ("IN", "en"),
        ("IT", "en"),  # no Italian templates
        ("CN", "en"),
        ("Atlantis", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_country_chooses_the_language(country: str | None, expected: str) -> None:
    assert choose_language(country, SHIPPED) == expected


def test_the_buyers_own_language_wins_and_falls_back_to_english() -> None:
    assert choose_language("DE", SHIPPED, previous="fr") == "fr"
    assert choose_language("DE", SHIPPED, previous="pt-BR") == "pt"
    # Writing in Italian from Switzerland: English, not the German of the country.
    assert choose_language("CH", SHIPPED, previous="it") == "en"
    # Only the languages available for this template count.
    assert choose_language("DE", ["en", "fr"]) == "en"
    assert choose_language("BE", ["en", "fr", "nl"]) == "nl"
    assert choose_language("DE", []) == "en"
    # The rep's mailbox language replaces English as the fallback where it is available.
    assert choose_language("CN", SHIPPED, fallback="es") == "es"
    assert choose_language("DE", SHIPPED, previous="it", fallback="es") == "es"
    assert choose_language("CN", ["en", "fr"], fallback="es") == "en"
    assert choose_language("DE", SHIPPED, fallback="es") == "de"


def test_country_codes_and_locales() -> None:
    assert country_code("Côte d’Ivoire") == country_code("ivory coast") == "CI"
    assert country_code("uk") == country_code("United Kingdom") == "GB"
    assert country_code("XX") is None and country_code("  ") is None
    assert buyer_locale("de", "AT") == "de_AT"
    assert buyer_locale("en", "Germany") == "en_DE"
    assert buyer_locale("en", "CN") == "en"  # CLDR has no en_CN
    assert buyer_locale("pt", None) == "pt"
    assert adapt_locale("de_DE", "en") == "en_DE"
    assert adapt_locale("fr", "en") == "en"
    assert adapt_locale(None, "ru") == "ru"


@pytest.mark.parametrize(
    ("locale", "day", "money"),
    [
        ("en", "Dec 15, 2026", "$12,345.50"),
        ("en_GB", "15 Dec 2026", "US$12,345.50"),
        ("de_DE", "15. Dez. 2026", "12.345,50\xa0$"),
        ("fr_FR", "15 déc. 2026", "12\u202f345,50\xa0$US"),
        ("es_ES", "15 dic 2026", "12.345,50\xa0US$"),
        ("pt_BR", "15 de dez. de 2026", "US$\xa012.345,50"),
        ("ru_RU", "15 дек. 2026\u202fг.", "12\xa0345,50\xa0$"),
    ],
)
def test_dates_and_amounts_per_locale(locale: str, day: str, money: str) -> None:
    assert format_day(date(2026, 12, 15), locale) == day
    assert format_money(Decimal("12345.5"), "USD", locale) == money


def test_date_and_money_accept_what_the_database_and_config_hold() -> None:
    assert format_day("2026-12-15", "en_GB") == "15 Dec 2026"
    assert format_day(datetime(2026, 12, 15, 23, 0, tzinfo=UTC), "en_GB") == "15 Dec 2026"
    assert format_day(date(2026, 12, 15), "en_GB", "long") == "15 December 2026"
    assert format_money("1200", "eur", "de_DE") == "1.200,00\xa0€"
    assert format_money(0.1, "USD", "en") == "$0.10"
    for bad_day in ("soon", 20261215, None):
        with pytest.raises(TemplateError, match="date needs a date"):
            format_day(bad_day, "en")
    with pytest.raises(TemplateError, match="date style 'tiny'"):
        format_day(date(2026, 1, 1), "en", "tiny")
    with pytest.raises(TemplateError, match="currency code like 'USD'"):
        format_money(1, "dollars", "en")
    with pytest.raises(TemplateError, match="money needs an amount"):
        format_money("a lot", "USD", "en")
    with pytest.raises(TemplateError, match="locale 'xx_YY' is not a known locale"):
        format_money(1, "USD", "xx_YY")


@dataclass(frozen=True)
class Closure:
    name: str
    start: date
    end: date
    order_by: date | None = None


def test_the_next_closure_is_announced_within_sixty_days() -> None:
    spring = Closure("Spring Festival", date(2027, 2, 4), date(2027, 2, 14), date(2027, 1, 8))
    golden = Closure("National Day", date(2026, 10, 1), date(2026, 10, 7))
    assert next_closure([spring, golden], date(2026, 9, 1)) is golden
    assert next_closure([spring, golden], date(2026, 10, 8)) is None  # spring is 119 days away
    assert next_closure([spring, golden], date(2026, 12, 10)) is spring
    assert next_closure([spring, golden], date(2027, 2, 10)) is spring  # closed right now
    assert next_closure([spring], date(2027, 2, 15)) is None


def test_the_company_profile_context() -> None:
    spring = Closure("Spring Festival", date(2027, 2, 4), date(2027, 2, 14))
    ctx = company_context(
        name="Seller Ltd.",
        today=date(2026, 12, 20),
        holidays=[spring],
        signature="Seller Ltd.\nNingbo\n",
    )
    assert ctx == {
        "name": "Seller Ltd.",
        "signature": "Seller Ltd.\nNingbo",
        "next_holiday": {
            "name": "Spring Festival",
            "start": date(2027, 2, 4),
            "end": date(2027, 2, 14),
        },
        "products": [],
        "certifications": [],
        "case_studies": [],
    }
    settings = CompanySettings(name="Seller Ltd.", website="seller.example", products=("a",))
    from_settings = company_from_settings(settings, today=date(2026, 12, 20))
    assert from_settings["website"] == "seller.example" and from_settings["products"] == ["a"]
    assert "next_holiday" not in from_settings


def test_a_draft_context_from_stored_rows_fits_the_schema() -> None:
    created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    contact = Contact(email="hans@becker.example", name="Hans Becker", country="DE", company="")
    thread = Thread(
        subject="PI-2026-118 bearings",
        document_type="proforma invoice",
        document_ref="PI-2026-118",
        products="6204-2RS bearings\n6305-ZZ bearings\n",
        amount=Decimal("18450.00"),
        currency="USD",
        validity=date(2026, 3, 31),
        paid_at=None,
        created_at=created,
    )
    ctx = draft_context(
        thread=thread,
        contact=contact,
        language="en",
        rep={"name": "Li Wei", "email": "li@seller.example", "phone": None},
        company=company_context(name="Seller Ltd.", today=date(2026, 3, 10)),
        step_number=2,
        step_total=5,
    )
    assert ctx["locale"] == "en_DE"
    # The country is named in the mail's language; empty values are left out, not blank.
    assert ctx["buyer"] == {
        "name": "Hans Becker",
        "email": "hans@becker.example",
        "country": "Germany",
        "country_code": "DE",
    }
    assert ctx["rep"] == {"name": "Li Wei", "email": "li@seller.example"}
    thread_ctx = ctx["thread"]
    assert isinstance(thread_ctx, dict)
    assert thread_ctx["products"] == ["6204-2RS bearings", "6305-ZZ bearings"]
    assert thread_ctx["enrolled_on"] == date(2026, 3, 2)
    assert "paid_on" not in thread_ctx
    german = draft_context(
        thread=thread,
        contact=contact,
        language="de",
        rep={"name": "Li Wei"},
        company={"name": "Seller Ltd."},
        step_number=1,
        step_total=5,
    )
    assert german["locale"] == "de_DE"
    german_buyer = german["buyer"]
    assert isinstance(german_buyer, dict) and german_buyer["country"] == "Deutschland"

    def paths(value: object, prefix: str = "") -> list[str]:
        if isinstance(value, dict):
            return [p for k, v in value.items() for p in paths(v, f"{prefix}{k}.")]
        return [prefix.rstrip(".")]

    assert all(is_known(p) for p in paths(ctx)), [p for p in paths(ctx) if not is_known(p)]


def test_the_schema_lists_what_templates_may_use() -> None:
    assert "thread.validity_date" in leaf_paths()
    assert "company.next_holiday.order_by" in leaf_paths()
    assert is_known("company.next_holiday") and not is_known("company.holidays")
    assert set(CONTEXT_SCHEMA) == {"locale", "buyer", "thread", "rep", "company", "step"}
