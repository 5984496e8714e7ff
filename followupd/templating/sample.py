"""A sample thread in each language, for ``templates preview --sample`` and ``templates lint``.

The full sample knows every variable of the schema; the sparse one knows only what every
enrolled thread has, so a template that prints an optional value without ``{% if %}`` fails
on it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from followupd.templating.locale import FALLBACK_LANGUAGE, buyer_locale, country_name

# (name, company, country code) of a plausible buyer who writes in that language.
_BUYERS = {
    "en": ("Ms. Rossi", "Rossi Srl", "IT"),
    "es": ("Carlos Méndez", "Importadora Méndez S.A. de C.V.", "MX"),
    "fr": ("Claire Dubois", "Dubois Industrie SARL", "FR"),
    "de": ("Hans Becker", "Becker Antriebstechnik GmbH", "DE"),
    "ru": ("Андрей Смирнов", "ООО «ТехноПривод»", "RU"),
    "pt": ("João Silva", "Silva Rolamentos Ltda.", "BR"),
}

# What every enrolled thread has; everything else is optional.
ALWAYS_KNOWN = (
    "buyer.name",
    "buyer.email",
    "thread.subject",
    "thread.document_type",
    "thread.enrolled_on",
    "thread.products",
    "rep.name",
    "rep.email",
    "company.name",
    "company.products",
    "company.certifications",
    "company.case_studies",
    "step.number",
    "step.total",
    "locale",
)


def sample_context(language: str = FALLBACK_LANGUAGE) -> dict[str, object]:
    """A thread where everything is known, with a buyer who writes in ``language``."""
    name, company, code = _BUYERS.get(language, _BUYERS[FALLBACK_LANGUAGE])
    return {
        "locale": buyer_locale(language, code),
        "buyer": {
            "name": name,
            "email": "buyer@customer.example",
            "company": company,
            "country": country_name(code, language) or code,
            "country_code": code,
        },
        "thread": {
            "subject": "PI-2026-118 deep groove ball bearings",
            "document_type": "proforma invoice",
            "document_ref": "PI-2026-118",
            "enrolled_on": date(2026, 3, 2),
            "products": ["6204-2RS bearings", "6305-ZZ bearings"],
            "validity_date": date(2026, 3, 31),
            "amount": Decimal("18450.00"),
            "currency": "USD",
            "incoterm": "FOB Ningbo",
            "payment_terms": "30% deposit, 70% against B/L copy",
            "lead_time": "25 days after deposit",
            "shipment_date": date(2026, 4, 20),
            "paid_on": date(2026, 3, 20),
            "event": "Hannover Messe 2026",
            "tracking_number": "1Z999AA10123456784",
            "carrier": "DHL Express",
        },
        "rep": {"name": "Li Wei", "email": "li.wei@seller.example", "phone": "+86 138 0000 0000"},
        "company": {
            "name": "Example Bearing Co., Ltd.",
            "website": "www.bearing.example",
            "products": ["tapered roller bearings", "pillow block units"],
            "certifications": ["ISO 9001", "IATF 16949"],
            "case_studies": [
                "A gearbox maker in Poland cut warranty returns by a third after switching "
                "to our sealed 6204 bearings."
            ],
            "next_holiday": {
                "name": "Spring Festival",
                "start": date(2027, 2, 4),
                "end": date(2027, 2, 14),
                "order_by": date(2027, 1, 8),
            },
            "signature": "Example Bearing Co., Ltd.\nNo. 8 Industrial Road, Ningbo, China\n"
            "www.bearing.example",
        },
        "step": {"number": 2, "total": 5},
    }


def sparse_context(
    language: str = FALLBACK_LANGUAGE, keep: Iterable[str] = ()
) -> dict[str, object]:
    """The sample with only :data:`ALWAYS_KNOWN` and ``keep`` left; lists left empty."""
    full = sample_context(language)
    wanted = set(ALWAYS_KNOWN) | set(keep)
    sparse: dict[str, object] = {}
    for key, value in full.items():
        if not isinstance(value, dict):
            if key in wanted:
                sparse[key] = value
            continue
        section = {
            name: copy.deepcopy(item)
            for name, item in value.items()
            if f"{key}.{name}" in wanted or any(w.startswith(f"{key}.{name}.") for w in wanted)
        }
        for name, item in section.items():
            # Optional lists exist but are empty unless kept: that is what a new thread has.
            if isinstance(item, list) and f"{key}.{name}" not in keep:
                section[name] = []
        sparse[key] = section
    return sparse
