"""The lines of the enrollment acknowledgement that tell the rep what followupd understood.

The acknowledgement goes to the rep only, so it shows everything, notes and tier included,
each value with where it was read and the ``set`` command that corrects it.
"""

from __future__ import annotations

from collections.abc import Callable

from followupd.trade.context import TradeContext
from followupd.trade.money import format_money
from followupd.trade.values import SETTABLE, shown, typed

__all__ = ["SHORT_NAMES", "ack_lines", "document_name", "summary_line"]

# How a document is named in one line: "Tracking PI 2026-118".
SHORT_NAMES = {
    "proforma invoice": "PI",
    "quotation": "quotation",
    "sample": "sample",
    "trade-show lead": "trade-show lead",
    "order": "order",
}
_FROM = {
    "subject": "from the subject",
    "body": "from the body",
    "attachment": "from the attachment name",
    "cadence": "from the cadence",
    "history": "the company ordered before",
    "rep": "set by you",
}
# Values followupd reads from the mail; when one is missing the rep is asked to add it.
_EXPECTED = ("type", "ref", "amount", "validity", "incoterm", "payment", "shipment")


def document_name(ctx: TradeContext) -> str | None:
    """The document in a few words: "PI 2026-118", "quotation Q2611-05", "PI", or ``None``."""
    name = SHORT_NAMES.get(ctx.document_type or "")
    ref = ctx.document_ref
    if ref and name and not ref.lower().startswith(name.lower()):
        return f"{name} {ref}"
    return ref or name


def summary_line(ctx: TradeContext, buyer_company: str | None, cadence: str) -> str:
    """One line: "Tracking PI 2026-118 with ACME, USD 12,480.00, validity 2026-12-15, ..."

    Parts that are not known are left out.
    """
    head = f"Tracking {document_name(ctx) or 'this thread'}"
    if buyer_company:
        head += f" with {buyer_company}"
    parts = [head]
    if ctx.amount is not None:
        parts.append(format_money(ctx.amount, ctx.currency))
    if ctx.validity is not None:
        parts.append(f"validity {ctx.validity.isoformat()}")
    if ctx.incoterm:
        parts.append(ctx.incoterm)
    parts.append(f"cadence {cadence}")
    return ", ".join(parts)


def _reply(key: str, value: str) -> str:
    return f"reply `set {key} {value}`"


def ack_lines(ctx: TradeContext, *, how: Callable[[str, str], str] = _reply) -> list[str]:
    """One line per known value, with its source and the command that corrects it.

    "validity: 2026-12-15 (from the body) — reply `set validity 2026-12-15` with the right
    value to change". A last line names the usual values that were not found. ``how`` words
    the correcting command for a key and a value.
    """
    lines: list[str] = []
    missing: list[str] = []
    for key, setter in SETTABLE.items():
        if key == "currency" and ctx.amount is not None:
            continue  # Shown with the amount.
        value = shown(ctx, key)
        if value is None:
            if key in _EXPECTED:
                missing.append(key)
            continue
        field = setter.field
        if key == "shipment":
            field = "shipment_date" if ctx.shipment_date else "lead_time"
        source = _FROM.get(ctx.sources.get(field, ""))
        where = f" ({source})" if source else ""
        lines.append(
            f"{key}: {value}{where} — {how(key, typed(ctx, key))} with the right value to change"
        )
    if missing:
        lines.append(f"not found: {', '.join(missing)} — {how('<key>', '<value>')} to add")
    return lines
