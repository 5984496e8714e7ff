"""Which trade document an enrolled mail carries: its type and number, when they show.

Looked for in the subject first, then in attachment names (``PI-2026-118.pdf``). When nothing
says, the cadence tells the type (a ``pi`` cadence follows a proforma invoice); the number then
stays unknown, and templates are written to do without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# (type shown to the buyer, pattern of the word that names it)
_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("proforma invoice", re.compile(r"\b(?:PI|P/I|pro-?forma(?: invoice)?)\b", re.I)),
    ("quotation", re.compile(r"\b(?:quotation|quote|offer|QTN|RFQ)\b", re.I)),
    ("sample", re.compile(r"\bsamples?\b", re.I)),
    ("order", re.compile(r"\b(?:purchase order|PO)\b", re.I)),
)
_REF = re.compile(r"\b(?P<ref>(?:PI|P/I|QTN|QT|Q|PO|INV)[\s#:.-]*(?:No\.?\s*)?\d[\w/-]*\d)\b", re.I)
_CADENCE_TYPES = {
    "pi": "proforma invoice",
    "halving": "proforma invoice",
    "quote": "quotation",
    "sample": "sample",
    "payment": "proforma invoice",
}


@dataclass(frozen=True, kw_only=True)
class Document:
    """The document a thread is about."""

    type: str | None
    ref: str | None


def find_document(subject: str, attachments: Sequence[str], cadence: str) -> Document:
    """Type and number of the document, from the subject, attachment names, or the cadence."""
    texts = [subject, *(re.sub(r"\.\w{2,4}$", "", a).replace("_", "-") for a in attachments)]
    doc_type = next(
        (name for text in texts for name, pattern in _TYPES if pattern.search(text)), None
    )
    ref = next((m.group("ref").strip() for text in texts if (m := _REF.search(text))), None)
    return Document(type=doc_type or _CADENCE_TYPES.get(cadence), ref=ref)
