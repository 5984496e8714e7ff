"""Machine mail recognised by its headers: it must never count as a buyer's reply.

Each check is a named function in :data:`HEADER_CHECKS`; subject and body phrase lists
(for Exchange out-of-office mail without such headers) will be added as further checks.
"""

from __future__ import annotations

from collections.abc import Callable

from followupd.classify.base import Classification, ClassifyContext
from followupd.mail.parse import ParsedMessage

__all__ = ["HEADER_CHECKS", "detect_auto_reply"]

# A check returns (header name, value) when it sees machine mail; both go into the evidence.
Check = Callable[[ParsedMessage], tuple[str, str] | None]

_MACHINE_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})


def _header(msg: ParsedMessage, name: str) -> str | None:
    value = msg.auto_headers.get(name)
    return None if value is None else " ".join(value.split())


def _auto_submitted(msg: ParsedMessage) -> tuple[str, str] | None:
    # RFC 3834 §5: any value but "no" (parameters after ";" may follow) marks machine mail.
    value = _header(msg, "auto-submitted")
    if value is None or value.split(";")[0].strip().lower() in ("", "no"):
        return None
    return "auto-submitted", value[:80]


def _present(name: str) -> Check:
    def check(msg: ParsedMessage) -> tuple[str, str] | None:
        value = _header(msg, name)
        return None if value is None else (name, value[:80] or "(present)")

    return check


def _precedence(msg: ParsedMessage) -> tuple[str, str] | None:
    value = _header(msg, "precedence")
    if value is None or value.lower() not in _MACHINE_PRECEDENCE:
        return None
    return "precedence", value


def _apple_vacation(msg: ParsedMessage) -> tuple[str, str] | None:
    # iCloud vacation replies carry no RFC 3834 header, only this vendor header.
    value = _header(msg, "x-apple-action")
    return ("x-apple-action", value) if value and value.upper() == "VACATION" else None


def _report(msg: ParsedMessage) -> tuple[str, str] | None:
    # Delivery reports and read receipts (RFC 6522) are never written by a person.
    return ("content-type", msg.content_type) if msg.content_type == "multipart/report" else None


def _null_return_path(msg: ParsedMessage) -> tuple[str, str] | None:
    # An empty envelope sender is what RFC 5321 prescribes for notifications and bounces.
    value = _header(msg, "return-path")
    return ("return-path", "<>") if value is not None and value.replace(" ", "") == "<>" else None


# X-Auto-Response-Suppress is deliberately absent: it asks others not to auto-reply to
# this message and says nothing about who wrote it.
HEADER_CHECKS: tuple[tuple[str, Check], ...] = (
    ("auto_submitted", _auto_submitted),
    ("x_autoreply", _present("x-autoreply")),
    ("x_autorespond", _present("x-autorespond")),
    ("precedence", _precedence),
    ("list_id", _present("list-id")),
    ("apple_vacation", _apple_vacation),
    ("report", _report),
    ("null_return_path", _null_return_path),
)


def detect_auto_reply(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "auto_reply" when any header check recognises machine mail; evidence names them all."""
    evidence: dict[str, str] = {}
    for _name, check in HEADER_CHECKS:
        found = check(msg)
        if found is not None:
            evidence[found[0]] = found[1]
    return Classification(label="auto_reply", evidence=evidence) if evidence else None
