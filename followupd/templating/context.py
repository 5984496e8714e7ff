"""What a template sees: the context built from a thread, its buyer, the rep and the company.

Pure functions from stored values to the mapping described by
:data:`followupd.templating.schema.CONTEXT_SCHEMA`. A value that is not known is left out,
never set to ``None`` or ``""``, so that a template either guards it or fails with a clear
message instead of writing "Dear ,".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Protocol

from followupd.config.models import CompanySettings
from followupd.model import Contact, Thread
from followupd.templating.locale import buyer_locale, country_code, country_name

# A closure is announced when it starts within this many days.
HOLIDAY_NOTICE = timedelta(days=60)
# Stored one per line (a product name may contain commas).
_PRODUCT_SPLIT = re.compile(r"\s*\n\s*")


class Closure(Protocol):
    """One of the seller's own closures, e.g. Spring Festival, as the config states it."""

    @property
    def name(self) -> str: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def order_by(self) -> date | None: ...


def known(**values: object) -> dict[str, object]:
    """The values that are known: not None, not blank, not an empty list."""
    return {
        key: value
        for key, value in values.items()
        if value is not None
        and not (isinstance(value, str) and not value.strip())
        and not (isinstance(value, list | tuple) and not value)
    }


def buyer_context(contact: Contact, language: str) -> dict[str, object]:
    """``buyer``: the country is named in the template's language ("Alemania" in Spanish)."""
    code = country_code(contact.country)
    name = country_name(code, language) if code else None
    return known(
        name=contact.name,
        email=contact.email,
        company=contact.company,
        country=name or contact.country,
        country_code=code,
    )


def thread_context(thread: Thread) -> dict[str, object]:
    """``thread``: the document the follow-up is about."""
    products = [p for p in _PRODUCT_SPLIT.split(thread.products or "") if p]
    return {
        **known(
            subject=thread.subject,
            document_type=thread.document_type,
            document_ref=thread.document_ref,
            enrolled_on=thread.created_at.date(),
            validity_date=thread.validity,
            amount=thread.amount,
            currency=thread.currency,
            incoterm=thread.incoterm,
            payment_terms=thread.payment_terms,
            lead_time=thread.lead_time,
            shipment_date=thread.shipment_date,
            paid_on=thread.paid_at.date() if thread.paid_at else None,
            event=thread.event,
            tracking_number=thread.tracking_number,
            carrier=thread.carrier,
        ),
        # Always a list, so that templates can test it without guarding its existence.
        "products": products,
    }


def company_context(
    *,
    name: str,
    today: date,
    website: str | None = None,
    products: Sequence[str] = (),
    certifications: Sequence[str] = (),
    case_studies: Sequence[str] = (),
    holidays: Sequence[Closure] = (),
    signature: str | None = None,
) -> dict[str, object]:
    """``company``: the seller's profile, with the closure to announce as of ``today``."""
    upcoming = next_closure(holidays, today)
    return {
        **known(
            name=name,
            website=website,
            signature=signature.strip("\n") if signature else None,
            next_holiday=(
                known(
                    name=upcoming.name,
                    start=upcoming.start,
                    end=upcoming.end,
                    order_by=upcoming.order_by,
                )
                if upcoming
                else None
            ),
        ),
        "products": list(products),
        "certifications": list(certifications),
        "case_studies": list(case_studies),
    }


def company_from_settings(company: CompanySettings, *, today: date) -> dict[str, object]:
    """``company`` from the ``[company]`` settings."""
    # case_studies, holidays and signature are read only where the settings define them, so
    # that this works with configurations that predate those keys.
    return company_context(
        name=company.name,
        today=today,
        website=company.website,
        products=company.products,
        certifications=company.certifications,
        case_studies=company.case_studies,
        holidays=company.holidays,
        signature=company.signature,
    )


def next_closure(holidays: Sequence[Closure], today: date) -> Closure | None:
    """The first closure not over yet that starts within :data:`HOLIDAY_NOTICE` of ``today``."""
    ahead = sorted((h for h in holidays if h.end >= today), key=lambda h: h.start)
    if ahead and ahead[0].start - today <= HOLIDAY_NOTICE:
        return ahead[0]
    return None


def draft_context(
    *,
    thread: Thread,
    contact: Contact,
    language: str,
    rep: Mapping[str, str | None],
    company: Mapping[str, object],
    step_number: int,
    step_total: int,
) -> dict[str, object]:
    """The whole context of one draft in ``language`` (the template's language)."""
    return {
        "locale": buyer_locale(language, contact.country),
        "buyer": buyer_context(contact, language),
        "thread": thread_context(thread),
        "rep": known(**rep),
        "company": dict(company),
        "step": {"number": step_number, "total": step_total},
    }
