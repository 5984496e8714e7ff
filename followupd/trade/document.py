"""Which trade document a thread is about, and its number, in any language reps write.

Builds on the document finder of the classifier (English words, subject and file names) and
adds document names in the other languages, leads met at a trade show, and orders. The
type is taken from the subject, else the attachment names, else a trade show the body
mentions, else the cadence the rep enrolled the thread in, else document words in the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from followupd.classify.document import find_document
from followupd.trade import cues
from followupd.trade.owntext import Line

__all__ = ["find_type_and_ref"]

# Cadences named after the way a lead was met, for mail that names no document.
_CADENCE_TYPES = {"expo": "trade-show lead", "fair": "trade-show lead", "order": "order"}
# Document names and numbers are looked for near the top of the body only.
_BODY_LINES = 30


def find_type_and_ref(
    subject: str, body: Sequence[Line], attachments: Sequence[str], cadence: str
) -> dict[str, tuple[str, str]]:
    """``document_type`` and ``document_ref`` when found, each with where it was read."""
    found: dict[str, tuple[str, str]] = {}
    by_subject = find_document(subject, (), "")
    by_name = find_document("", attachments, "")
    names = " ".join(attachments)
    body = body[:_BODY_LINES]
    body_text = "\n".join(line.text for line in body)
    kind = (
        _given(by_subject.type, "subject")
        or _named(subject, "subject")
        or _matching(cues.TRADE_SHOW, "trade-show lead", subject, "subject")
        or _matching(cues.ORDER, "order", subject, "subject")
        or _given(by_name.type, "attachment")
        or _named(names, "attachment")
        or _matching(cues.ORDER, "order", names, "attachment")
        # Meeting at a fair says how the lead came, which no cadence tells; a passing
        # "samples" or "quote" in the body says less than the cadence the rep chose.
        or _matching(cues.TRADE_SHOW, "trade-show lead", body_text, "body")
        or _given(_cadence_type(cadence), "cadence")
        or _body_document(body)
        or _named(body_text, "body")
    )
    if kind is not None:
        found["document_type"] = kind
    ref = (
        _given(by_subject.ref, "subject")
        or _given(_group(cues.SUBJECT_REF, subject), "subject")
        or _given(by_name.ref, "attachment")
        or _given(_group(cues.REF_LABEL, body_text), "body")
        or next(((r, "body") for x in body if (r := find_document(x.text, (), "").ref)), None)
    )
    if ref is not None:
        found["document_ref"] = ref
    return found


def _given(value: str | None, source: str) -> tuple[str, str] | None:
    return (value, source) if value else None


def _group(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group("ref") if match else None


def _matching(
    pattern: re.Pattern[str], kind: str, text: str, source: str
) -> tuple[str, str] | None:
    return (kind, source) if pattern.search(text) else None


def _named(text: str, source: str) -> tuple[str, str] | None:
    return next(((kind, source) for kind, word in cues.DOCUMENTS if word.search(text)), None)


def _body_document(body: Sequence[Line]) -> tuple[str, str] | None:
    # "Please find attached our PI" names the document; "PO Box" in an address does not
    # name an order, so an order is only believed from the subject or a file name.
    for line in body:
        kind = find_document(line.text, (), "").type
        if kind in {"proforma invoice", "quotation", "sample"}:
            return kind, "body"
    return None


def _cadence_type(cadence: str) -> str | None:
    known = find_document("", (), cadence).type
    return known or next((t for key, t in _CADENCE_TYPES.items() if key in cadence.lower()), None)
