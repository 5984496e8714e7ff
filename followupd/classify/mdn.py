"""Read receipts (RFC 8098 message disposition notifications).

A receipt is recorded whatever its disposition: "displayed" means the buyer opened the
mail, while "deleted", "denied" or "failed" receipts still answer a request of ours and
must not be mistaken for a reply. The caller reads the disposition and decides.
"""

from __future__ import annotations

from followupd.classify.base import (
    Classification,
    ClassifyContext,
    ReceiptFacts,
    referenced_ids,
)
from followupd.mail.parse import ParsedMessage

__all__ = ["detect_read_receipt"]


def detect_read_receipt(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "read_receipt" with :class:`ReceiptFacts` when ``msg`` carries an MDN, else ``None``."""
    report = msg.report
    if report is None or report.disposition is None:
        return None
    mdn = report.disposition
    # Minimal receipts omit Original-Message-ID; the returned headers, when attached, name
    # the same message, and Exchange puts it in In-Reply-To.
    original = (
        mdn.original_message_id
        or report.original_message_id
        or next(iter(referenced_ids(msg)), None)
    )
    facts = ReceiptFacts(original_message_id=original, disposition=mdn.disposition or "")
    evidence = {"disposition": facts.disposition or "(none)"}
    thread_id = None
    if original is not None:
        evidence["original_message_id"] = original
        thread_id = ctx.thread_ids.get(original)
    return Classification(
        label="read_receipt", evidence=evidence, receipt=facts, thread_id=thread_id
    )
