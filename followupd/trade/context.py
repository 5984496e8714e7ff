"""What a thread is about, commercially: the trade context of one enrolled PI or quotation.

The context is read from the enrolled mail (see :mod:`.extract`), confirmed to the rep in the
enrollment acknowledgement and corrected by the rep (see :mod:`.values`). Building a
:class:`TradeContext` validates it, so a stored or corrected context is always well formed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from followupd.trade.currency import ISO_CODES

__all__ = [
    "DOCUMENT_TYPES",
    "FIELDS",
    "INCOTERMS",
    "SOURCES",
    "TIERS",
    "TradeContext",
]

DOCUMENT_TYPES = ("proforma invoice", "quotation", "sample", "trade-show lead", "order")
TIERS = ("key", "regular", "lead")
# Incoterms 2020. The older C&F / CNF spellings are read as CFR by the parsers.
INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")
# Where a value came from, as told to the rep in the acknowledgement.
SOURCES = ("subject", "body", "attachment", "cadence", "history", "rep")


def _no_sources() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class TradeContext:
    """The trade facts of one thread; ``None`` or empty means "not known".

    ``incoterm`` is the code, then the named place when one was given ("FOB Ningbo").
    ``lead_time`` holds a shipment time stated relative to an event ("25 days after
    deposit") when no date is known. ``notes`` and ``tier`` are for the rep only: see
    :meth:`buyer_view`. ``sources`` maps a field name to where its value came from (one of
    :data:`SOURCES`).
    """

    document_type: str | None = None
    document_ref: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    validity: date | None = None
    products: tuple[str, ...] = ()
    incoterm: str | None = None
    payment_terms: str | None = None
    shipment_date: date | None = None
    lead_time: str | None = None
    tier: str | None = None
    notes: str | None = None
    sources: Mapping[str, str] = field(default_factory=_no_sources)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("invalid trade context: " + "; ".join(problems))
        # A private read-only copy, so a caller's dict cannot change a frozen context.
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "products", tuple(self.products))

    def buyer_view(self) -> dict[str, object]:
        """The values a buyer-facing template may use: everything but notes, tier, sources."""
        hidden = {"notes", "tier", "sources"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict of the context (dates ISO, amount as a string)."""
        record: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            record[f.name] = value
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> TradeContext:
        """The context :meth:`to_record` wrote; unknown keys are ignored.

        Raises :class:`ValueError` when a value is malformed.
        """
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in record.items() if k in known}
        try:
            for name in ("validity", "shipment_date"):
                if isinstance(values.get(name), str):
                    values[name] = date.fromisoformat(values[name])
            if isinstance(values.get("amount"), str):
                values["amount"] = Decimal(values["amount"])
        except (ValueError, InvalidOperation) as exc:
            raise ValueError(f"invalid trade context record: {exc}") from exc
        if isinstance(values.get("products"), list):
            values["products"] = tuple(values["products"])
        return cls(**values)


FIELDS = tuple(f.name for f in fields(TradeContext) if f.name != "sources")


def _problems(ctx: TradeContext) -> list[str]:
    found: list[str] = []
    if ctx.document_type is not None and ctx.document_type not in DOCUMENT_TYPES:
        found.append(f"document_type {ctx.document_type!r} is not one of {DOCUMENT_TYPES}")
    if ctx.tier is not None and ctx.tier not in TIERS:
        found.append(f"tier {ctx.tier!r} is not one of {TIERS}")
    if ctx.currency is not None and ctx.currency not in ISO_CODES:
        found.append(f"currency {ctx.currency!r} is not an ISO 4217 code")
    if ctx.amount is not None and (
        not isinstance(ctx.amount, Decimal) or not ctx.amount.is_finite() or ctx.amount < 0
    ):
        found.append(f"amount {ctx.amount!r} is not a non-negative Decimal")
    if ctx.incoterm is not None and ctx.incoterm.split(" ", 1)[0] not in INCOTERMS:
        found.append(f"incoterm {ctx.incoterm!r} does not start with an Incoterms 2020 code")
    for name in ("validity", "shipment_date"):
        value = getattr(ctx, name)
        # A datetime is a date too, but comparing one with a date raises: keep them out.
        if value is not None and type(value) is not date:
            found.append(f"{name} {value!r} is not a date")
    if not all(isinstance(p, str) for p in ctx.products):
        found.append("products must be strings")
    for key, source in ctx.sources.items():
        if key not in FIELDS or source not in SOURCES:
            found.append(f"source {key!r}: {source!r} is not a field and one of {SOURCES}")
    return found
