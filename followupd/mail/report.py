"""Read machine reports out of a parsed message: delivery reports and read receipts.

Standard reports are ``multipart/report`` mail (RFC 6522) with a delivery-status (RFC 3464,
6533) or disposition-notification part (RFC 8098). For the plain-text bounces many servers
still send, flufl.bounce knows the formats (Exchange, qmail, Postfix, SMTP32 ...). What a
report *means* is the classifier's business. Damaged reports never raise: they yield what
could be read, or ``None``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from flufl.bounce import all_failures as _flufl_failures

from followupd.mail.body import safe
from followupd.mail.charset import decode_bytes
from followupd.mail.headers import clean, message_ids, raw_values

__all__ = ["DispositionNotification", "RecipientStatus", "Report", "all_failures", "extract_report"]

# flufl.bounce logs every detector it runs at INFO; at the daemon's usual level that would
# be a screenful per message. Its warnings and errors still get through.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

# What each part of a report is, by content type; RFC 6533 adds the "global" variants.
_ROLES = {
    "message/delivery-status": "status",
    "message/global-delivery-status": "status",
    "message/disposition-notification": "mdn",
    "message/global-disposition-notification": "mdn",
    **dict.fromkeys(("message/rfc822", "message/global"), "returned"),
    **dict.fromkeys(("text/rfc822-headers", "message/global-headers"), "returned"),
}
# Who sends plain-text bounces; flufl.bounce only runs on mail that could be one, because
# its line-by-line scan of an ordinary message with a large attachment takes seconds.
_DAEMON_LOCAL = re.compile(r"^(mailer-?daemon|mail-?daemon|postmaster|mail\.delivery)$", re.I)
_MAX_DEPTH, _MAX_PARTS = 20, 200
# Text beyond this is never where a report states its failures; it only slows flufl down.
_MAX_TEXT = 256 * 1024


@dataclass(frozen=True, kw_only=True, slots=True)
class RecipientStatus:
    """One per-recipient block of a delivery report; addresses without their type prefix."""

    final_recipient: str | None = None
    original_recipient: str | None = None
    action: str | None = None
    status: str | None = None
    diagnostic: str | None = None
    remote_mta: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DispositionNotification:
    """The disposition-notification part of an MDN (``Original-Message-ID`` unbracketed)."""

    original_message_id: str | None = None
    disposition: str | None = None
    final_recipient: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """Everything a message reports about other mail.

    ``report_type`` is that of a ``multipart/report``, else ""; ``delivery`` the recipient
    blocks of a delivery-status part (``None`` without one); ``original_message_id`` is read
    from the returned message; ``temporary``/``permanent`` are what flufl.bounce found.
    """

    report_type: str = ""
    delivery: tuple[RecipientStatus, ...] | None = None
    disposition: DispositionNotification | None = None
    original_message_id: str | None = None
    temporary: frozenset[str] = frozenset()
    permanent: frozenset[str] = frozenset()


def extract_report(msg: Message) -> Report | None:
    """The report ``msg`` carries, or ``None`` when it is not a report of any kind."""
    report_type = _report_type(msg)
    parts: dict[str, Message] = {}
    for part in _parts(msg):
        role = _ROLES.get(safe(part.get_content_type, "text/plain"))
        if role is not None:
            parts.setdefault(role, part)
    delivery = _delivery(parts["status"]) if "status" in parts else None
    disposition = _disposition(parts["mdn"]) if "mdn" in parts else None
    scan = disposition is None and (delivery is not None or report_type or _from_daemon(msg))
    temporary, permanent = all_failures(msg) if scan else (frozenset(), frozenset())
    if not (report_type or delivery or disposition or temporary or permanent):
        return None
    original = _returned_id(parts["returned"]) if "returned" in parts else None
    return Report(
        report_type=report_type,
        delivery=delivery,
        disposition=disposition,
        original_message_id=original,
        temporary=temporary,
        permanent=permanent,
    )


def _report_type(msg: Message) -> str:
    if safe(msg.get_content_type, "text/plain") != "multipart/report":
        return ""
    value: object = safe(lambda: msg.get_param("report-type", None), None)
    if isinstance(value, tuple):  # An RFC 2231 encoded parameter: (charset, lang, text).
        value = value[2]
    return str(value or "").strip().lower()


def all_failures(msg: Message) -> tuple[frozenset[str], frozenset[str]]:
    """flufl.bounce's (temporary, permanent) failed addresses, lower-cased; never raises."""
    try:
        temporary, permanent = _flufl_failures(_pruned(msg, 0))
    except Exception:  # A heuristic that trips over odd mail must not lose the message.
        return frozenset(), frozenset()
    return _decoded(temporary), _decoded(permanent)


def _decoded(found: frozenset[bytes]) -> frozenset[str]:
    return frozenset(a.decode("utf-8", "replace").strip("<> ").lower() for a in found)


def _from_daemon(msg: Message) -> bool:
    if any(v.replace(" ", "") == "<>" for v in raw_values(msg, "return-path")):
        return True
    senders = " ".join(raw_values(msg, "from") + raw_values(msg, "sender"))
    return any(_DAEMON_LOCAL.match(x) for x in re.findall(r"([^\s<>\"(),:;]+)@", senders))


def _parts(msg: Message) -> list[Message]:
    # Attached messages are not descended into: a forwarded bounce is not a bounce to us.
    found: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack and len(found) < _MAX_PARTS:
        part, depth = stack.pop()
        found.append(part)
        payload = part.get_payload()
        ctype = safe(part.get_content_type, "text/plain")
        if isinstance(payload, list) and not ctype.startswith("message/") and depth < _MAX_DEPTH:
            subs = [(s, depth + 1) for s in payload if isinstance(s, Message)]
            stack.extend(reversed(subs))
    return found


def _part_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        # The stdlib parses these parts as a list of header blocks, and sometimes files the
        # later blocks as the body of the first; put the text back together.
        chunks: list[str] = []
        for block in (b for b in payload if isinstance(b, Message)):
            chunks.append("\n".join(f"{k}: {v}" for k, v in block.raw_items()))
            body = block.get_payload()
            chunks.append(body if isinstance(body, str) else "")
        return clean("\n\n".join(chunks))
    data: object = safe(lambda: part.get_payload(decode=True), None)
    if not isinstance(data, bytes):
        return clean(payload) if isinstance(payload, str) else ""
    return decode_bytes(data[:_MAX_TEXT], safe(part.get_content_charset, None))


def _blocks(text: str) -> list[dict[str, str]]:
    """Header-style field blocks separated by blank lines; names lower-cased, first wins."""
    blocks: list[dict[str, str]] = [{}]
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            blocks.append({})
            last = None
        elif line[0] in " \t" and last is not None:
            blocks[-1][last] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            # A repeated field is ignored, and so are its continuation lines.
            last = None if name in blocks[-1] else name
            blocks[-1].setdefault(name, value.strip())
    return [b for b in blocks if b]


def _address(value: str | None) -> str | None:
    # "rfc822; user@host" (or "utf-8; ..."): the type names the syntax, not the mailbox.
    address = (value or "").rpartition(";")[2].strip(" \t<>").lower()
    return address or None


def _delivery(part: Message) -> tuple[RecipientStatus, ...]:
    # The per-message block (Reporting-MTA, Arrival-Date) names no recipient; it is skipped.
    return tuple(
        RecipientStatus(
            final_recipient=_address(b.get("final-recipient")),
            original_recipient=_address(b.get("original-recipient")),
            action=(b.get("action") or "").strip().lower() or None,
            status=b.get("status") or None,
            diagnostic=b.get("diagnostic-code") or None,
            remote_mta=b.get("remote-mta") or None,
        )
        for b in _blocks(_part_text(part))
        if "final-recipient" in b or "action" in b or "status" in b
    )


def _disposition(part: Message) -> DispositionNotification:
    # RFC 8098 puts all fields in one block; should a sender split them, the first wins.
    fields = {k: v for block in reversed(_blocks(_part_text(part))) for k, v in block.items()}
    original = fields.get("original-message-id", "").strip().strip("<>").strip()
    return DispositionNotification(
        original_message_id=original if "@" in original else None,
        disposition=" ".join(fields.get("disposition", "").split()) or None,
        final_recipient=_address(fields.get("final-recipient")),
    )


def _returned_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner: Message = payload[0]
    else:
        text = _part_text(part)
        inner = safe(lambda: HeaderParser().parsestr(text, headersonly=True), Message())
    return next(iter(message_ids(inner, "message-id")), None)


def _pruned(part: Message, depth: int) -> Message:
    """A copy of ``part`` that flufl.bounce can scan quickly: text only, and not too much."""
    ctype = safe(part.get_content_type, "text/plain")
    payload = part.get_payload()
    copy = Message()
    for name, value in part.raw_items():
        copy[name] = value
    if isinstance(payload, list) and depth < _MAX_DEPTH:
        subs: list[Message | str] = [
            _pruned(s, depth + 1) for s in payload[:_MAX_PARTS] if isinstance(s, Message)
        ]
        copy.set_payload(subs)
    elif isinstance(payload, str) and ctype.startswith(("text/", "message/")):
        copy.set_payload(payload[:_MAX_TEXT])
    else:
        # Attachments hold no failure notice; an empty body keeps flufl from decoding them.
        copy.set_payload("")
    return copy
