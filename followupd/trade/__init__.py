"""The trade context of a thread: document, amount, validity, terms, products, buyer tier.

Read from the enrolled mail by :func:`extract_context`, confirmed to the rep with
:func:`summary_line` and :func:`ack_lines`, corrected with :func:`parse_set` and
:func:`apply`. Buyer-facing templates get :meth:`TradeContext.buyer_view`, which never
carries the rep's notes.
"""

from __future__ import annotations

from followupd.trade.ack import ack_lines, document_name, summary_line
from followupd.trade.context import DOCUMENT_TYPES, INCOTERMS, TIERS, TradeContext
from followupd.trade.extract import extract_context
from followupd.trade.money import Money
from followupd.trade.values import SETTABLE, Setter, apply, parse_set

__all__ = [
    "DOCUMENT_TYPES",
    "INCOTERMS",
    "SETTABLE",
    "TIERS",
    "Money",
    "Setter",
    "TradeContext",
    "ack_lines",
    "apply",
    "document_name",
    "extract_context",
    "parse_set",
    "summary_line",
]
