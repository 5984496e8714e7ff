"""Turn the raw bytes of one message into a :class:`ParsedMessage`.

Mail from the wild is often malformed: 8-bit headers, unknown charsets, broken base64. The
parser never raises for such damage; it degrades to the best text it can recover. It raises
:class:`~followupd.errors.MailParseError` only when there is nothing to work with at all.

The helpers live in sibling modules (:mod:`.headers`, :mod:`.body`, :mod:`.charset`,
:mod:`.htmltext`); the public ones are re-exported here so callers keep one import path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from types import MappingProxyType

from followupd.errors import MailParseError
from followupd.mail.body import best_text, safe
from followupd.mail.charset import decode_bytes
from followupd.mail.headers import clean, decode_words, header_text, message_ids, raw_values
from followupd.mail.htmltext import html_to_text
from followupd.mail.report import Report, extract_report

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Address",
    "ParsedMessage",
    "addresses",
    "best_text",
    "decode_bytes",
    "header_text",
    "html_to_text",
    "message_ids",
    "parse_message",
    "raw_values",
]

# Far above any quotation with a PDF attached; a bigger message is almost surely not a reply
# we must read, and parsing it would cost a lot of memory.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024

# Headers the classifier needs to recognise machine mail; kept verbatim so its evidence can
# quote them. Return-Path is here because an empty one (`<>`) marks machine mail too.
_AUTO_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "precedence",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "x-followupd",
    "content-type",
    "return-path",
    "x-apple-action",
)

_DELIVERY_HEADERS = (
    "delivered-to",
    "x-original-to",
    "envelope-to",
    "x-envelope-to",
    "x-delivered-to",
)

_RECEIVED_FOR = re.compile(r"\bfor\s+<?([^\s<>;@]+@[^\s<>;]+?)>?\s*(?:;|$)", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True, slots=True)
class Address:
    """One mailbox: decoded display name ("" when absent) and lower-cased address."""

    name: str
    email: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ParsedMessage:
    """What followupd needs to know about one message, decoded and normalised.

    Message ids carry no angle brackets; addresses are lower-cased; ``date`` is aware;
    ``auto_headers`` maps lower-cased names of the machine-mail headers present (see
    ``_AUTO_HEADERS``) to their decoded values; ``text`` is the best plain-text body.
    """

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_: Address | None
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    delivered_to: tuple[Address, ...]
    date: datetime | None
    auto_headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/plain"
    text: str = ""
    attachments: tuple[str, ...] = ()
    # Delivery report or read receipt, when the message is one (see :mod:`.report`).
    report: Report | None = None
    # Bytes of the raw message (a rep's command must be small: see approval.auth).
    size: int = 0
    # The message itself: a command waiting for its Sent copy is kept until it is decided.
    raw: bytes = field(default=b"", repr=False, compare=False)


def parse_message(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> ParsedMessage:
    """Parse ``raw`` (a complete RFC 5322 message) into a :class:`ParsedMessage`.

    Raises :class:`MailParseError` for empty or oversized input, input without any header,
    and mail with neither a usable ``From`` nor ``Sender``; any other damage is tolerated.
    """
    if not raw.strip():
        raise MailParseError("empty message")
    if len(raw) > max_bytes:
        raise MailParseError(f"message is {len(raw)} bytes, more than the limit of {max_bytes}")
    # Blank lines before the first header (seen in saved files and some fetch tools) would
    # make every header part of the body.
    raw = raw.lstrip(b"\r\n")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError as exc:
        raise MailParseError("MIME structure is nested too deeply") from exc
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise MailParseError("no headers found (missing header/body separator?)")

    from_ = _first(addresses(msg, "from"))
    sender = _first(addresses(msg, "sender"))
    if from_ is None and sender is None:
        raise MailParseError("message has no usable From or Sender address")

    ids = message_ids(msg, "message-id")
    text, attachments = best_text(msg)
    auto = {name: header_text(msg, name) for name in _AUTO_HEADERS if raw_values(msg, name)}
    return ParsedMessage(
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(msg, "in-reply-to"),
        references=message_ids(msg, "references"),
        subject=header_text(msg, "subject").strip(),
        from_=from_,
        sender=sender,
        to=addresses(msg, "to"),
        cc=addresses(msg, "cc"),
        bcc=addresses(msg, "bcc"),
        delivered_to=_delivered_to(msg),
        date=_date(raw_values(msg, "date")),
        auto_headers=MappingProxyType(auto),
        content_type=safe(msg.get_content_type, "text/plain"),
        text=text,
        attachments=attachments,
        report=safe(lambda: extract_report(msg), None),
        size=len(raw),
        raw=raw,
    )


def _first(found: tuple[Address, ...]) -> Address | None:
    return found[0] if found else None


def addresses(msg: Message, name: str) -> tuple[Address, ...]:
    """Every mailbox in every ``name`` header, in order; unusable entries are skipped."""
    found: list[Address] = []
    for value in raw_values(msg, name):
        try:
            header = policy.default.header_factory(name, value)
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        except Exception:  # Fall back to the lenient legacy splitter.
            pairs = [(decode_words(n), a) for n, a in getaddresses([value])]
        for display, email in pairs:
            email = clean(email).strip().strip("<>").lower()
            if email and email != "@":
                found.append(Address(name=clean(display).strip(), email=email))
    return tuple(found)


def _delivered_to(msg: EmailMessage) -> tuple[Address, ...]:
    found: list[Address] = []
    for name in _DELIVERY_HEADERS:
        found.extend(addresses(msg, name))
    # Only the topmost Received header was written by the rep's own server; lower ones were
    # written by hosts along the way and may name other recipients.
    received = raw_values(msg, "received")
    if received:
        match = _RECEIVED_FOR.search(" ".join(received[0].split()))
        if match:
            found.append(Address(name="", email=match.group(1).lower()))
    unique: dict[str, Address] = {}
    for address in found:
        unique.setdefault(address.email, address)
    return tuple(unique.values())


def _date(values: list[str]) -> datetime | None:
    if not values or not values[0].strip():
        return None
    try:
        parsed = parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # RFC 5322 "-0000" means "UTC, local offset unknown"; the stdlib returns a naive value.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
