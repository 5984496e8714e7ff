"""The variables a template may use, as data.

The daemon builds the context of a draft from the thread, the buyer, the rep's mailbox and
the company profile (see :mod:`followupd.templating.context`); this table is the contract
between that builder and the template authors. ``followupd templates lint`` rejects a
template that uses, or ``requires``, a name that is not in it, because such a name could
never be filled in and every draft from that template would fail.

A leaf says what kind of value it holds, which is what the filters expect:

- ``text``: a string; ``list``: a list of strings;
- ``date``: a date (or ISO date string), shown with ``| date``;
- ``number``: an amount, shown with ``| money(thread.currency)``;
- ``int``: a whole number.

Any value except ``step`` and ``locale`` may be absent for a given thread: a template guards
it with ``{% if ... %}`` or lists it in ``requires``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias

Leaf: TypeAlias = Literal["text", "list", "date", "number", "int"]
Schema: TypeAlias = Mapping[str, "Leaf | Schema"]

CONTEXT_SCHEMA: Schema = {
    # The buyer's locale, e.g. "de_AT"; render() adapts it to the template's language.
    "locale": "text",
    "buyer": {
        "name": "text",
        "email": "text",
        "company": "text",
        # The country's name in the template's language; the ISO code beside it.
        "country": "text",
        "country_code": "text",
    },
    "thread": {
        "subject": "text",
        # In English: "proforma invoice", "quotation", "sample" or "order".
        "document_type": "text",
        "document_ref": "text",
        "enrolled_on": "date",
        "products": "list",
        "validity_date": "date",
        "amount": "number",
        "currency": "text",
        "incoterm": "text",
        "payment_terms": "text",
        "lead_time": "text",
        "shipment_date": "date",
        "paid_on": "date",
        # The trade show where the rep met the buyer.
        "event": "text",
        "tracking_number": "text",
        "carrier": "text",
    },
    "rep": {"name": "text", "email": "text", "phone": "text"},
    "company": {
        "name": "text",
        "website": "text",
        "products": "list",
        "certifications": "list",
        # One sentence each, e.g. "A distributor in Poland cut warranty returns by a third."
        "case_studies": "list",
        # The seller's next closure (e.g. Spring Festival) within the notice period.
        "next_holiday": {"name": "text", "start": "date", "end": "date", "order_by": "date"},
        # Lines printed under the rep's name instead of the company name and website.
        "signature": "text",
    },
    "step": {"number": "int", "total": "int"},
}


def lookup(dotted: str, schema: Schema = CONTEXT_SCHEMA) -> Leaf | Schema | None:
    """What ``dotted`` (e.g. ``thread.products``) names in the schema, or None if nothing."""
    node: Leaf | Schema = schema
    for part in dotted.split("."):
        if isinstance(node, str) or part not in node:
            return None
        node = node[part]
    return node


def is_known(dotted: str) -> bool:
    """Whether a template may use ``dotted``."""
    return lookup(dotted) is not None


def leaf_paths(schema: Schema = CONTEXT_SCHEMA, prefix: str = "") -> list[str]:
    """Every dotted name that holds a value, in schema order."""
    paths: list[str] = []
    for key, node in schema.items():
        path = f"{prefix}{key}"
        if isinstance(node, str):
            paths.append(path)
        else:
            paths.extend(leaf_paths(node, f"{path}."))
    return paths
