"""Turn the raw bytes of one message into a :class:`ParsedMessage`.

Mail from the wild is often malformed: 8-bit headers, unknown charsets, broken base64. The
parser never raises for such damage; it degrades to the best text it can recover. It raises
:class:`~followupd.errors.MailParseError` only when there is nothing to work with at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from types import MappingProxyType
from typing import TypeVar

from followupd.errors import MailParseError

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
        content_type=_safe(msg.get_content_type, "text/plain"),
        text=text,
        attachments=attachments,
    )


def _first(found: tuple[Address, ...]) -> Address | None:
    return found[0] if found else None


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


# --- headers ---------------------------------------------------------------------------

# A header longer than this is damage or an attack; the rest is dropped before decoding so
# that header parsing stays fast.
_MAX_HEADER_CHARS = 64 * 1024
_FOLD = re.compile(r"\r\n|\r|\n")
_BRACKETED = re.compile(r"<([^<>]*)>")


def raw_values(msg: Message, name: str) -> list[str]:
    """All values of header ``name`` as raw, unfolded strings (8-bit bytes decoded)."""
    values = [str(v) for k, v in msg.raw_items() if k.lower() == name]
    return [_fix_8bit(_FOLD.sub("", v))[:_MAX_HEADER_CHARS] for v in values]


def header_text(msg: Message, name: str) -> str:
    """The decoded text of the first ``name`` header, "" when absent; never raises."""
    values = raw_values(msg, name)
    if not values:
        return ""
    try:
        return _clean(str(policy.default.header_factory(name, values[0])))
    except Exception:  # policy.default raises on some malformed headers; decode by hand.
        return _decode_words(values[0])


def addresses(msg: Message, name: str) -> tuple[Address, ...]:
    """Every mailbox in every ``name`` header, in order; unusable entries are skipped."""
    found: list[Address] = []
    for value in raw_values(msg, name):
        try:
            header = policy.default.header_factory(name, value)
            pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
        except Exception:  # Fall back to the lenient legacy splitter.
            pairs = [(_decode_words(n), a) for n, a in getaddresses([value])]
        for display, email in pairs:
            email = _clean(email).strip().strip("<>").lower()
            if email and email != "@":
                found.append(Address(name=_clean(display).strip(), email=email))
    return tuple(found)


def message_ids(msg: Message, name: str) -> tuple[str, ...]:
    """The message ids in header ``name``, brackets and whitespace removed, order kept."""
    ids: list[str] = []
    for value in raw_values(msg, name):
        bracketed = _BRACKETED.findall(value)
        # Some mailers omit the brackets; then only tokens that look like ids are trusted.
        candidates = bracketed or [t for t in re.split(r"[\s,]+", value) if "@" in t]
        ids.extend("".join(c.split()) for c in candidates)
    # A bare "@" or "" would make unrelated damaged messages look like one thread.
    return tuple(dict.fromkeys(i for i in ids if i.strip("@")))


def _fix_8bit(value: str) -> str:
    # Raw 8-bit header bytes arrive as surrogate escapes; most such mail is UTF-8, and
    # latin-1 maps every remaining byte to some character instead of failing.
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _clean(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _fix_8bit(value).encode("utf-8", "replace").decode("utf-8")
    return value


def _decode_words(value: str) -> str:
    try:
        parts = decode_header(value)
    except Exception:  # Broken encoded words: the raw text is better than nothing.
        return _clean(value)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:
            out.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            out.append(decode_bytes(chunk, charset))
    return _clean("".join(out))


# --- body ------------------------------------------------------------------------------

# Mislabelled charsets are common; these supersets decode what the label promises and more.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "ks_c_5601-1987": "cp949",
    "unicode-1-1-utf-7": "utf-7",
}
_MAX_DEPTH = 40
_T = TypeVar("_T")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode body or header bytes; declared charset, then UTF-8, then never failing."""
    declared = (charset or "").strip().strip('"').lower()
    declared = _CHARSET_SUPERSETS.get(declared, declared)
    for codec, errors in ((declared, "strict"), ("utf-8", "strict"), (declared, "replace")):
        if not codec:
            continue
        try:
            return data.decode(codec, errors)
        except (LookupError, UnicodeError, TypeError, ValueError):
            continue
    return data.decode("latin-1")


def best_text(msg: Message) -> tuple[str, tuple[str, ...]]:
    """The best plain text of ``msg`` and the file names of its attachments."""
    plain: str | None = None
    html: str | None = None
    names: list[str] = []
    for part in _leaves(msg, 0):
        ctype, disposition, filename = _part_info(part)
        if filename:
            names.append(filename)
        if ctype.startswith("multipart/"):
            # A multipart declaration without any boundary line in the body: it is text.
            ctype = "text/plain"
        if disposition == "attachment" or ctype.startswith("message/"):
            continue
        if ctype == "text/plain" and plain is None:
            plain = _payload_text(part)
        elif ctype == "text/html" and html is None:
            html = _payload_text(part)
    if plain is None and html is not None:
        plain = html_to_text(html)
    return (plain or "").replace("\r\n", "\n"), tuple(names)


def _leaves(part: Message, depth: int) -> list[Message]:
    # Attached messages (forwards, bounce originals, DSN status blocks) are leaves: their
    # text is not the text of this message.
    if depth > _MAX_DEPTH:
        return []
    ctype = _safe(part.get_content_type, "text/plain")
    payload = part.get_payload()
    if not part.is_multipart() or ctype.startswith("message/") or not isinstance(payload, list):
        return [part]
    return [leaf for sub in payload if isinstance(sub, Message) for leaf in _leaves(sub, depth + 1)]


def _part_info(part: Message) -> tuple[str, str | None, str | None]:
    ctype = _safe(part.get_content_type, "text/plain")
    disposition = _safe(part.get_content_disposition, None)
    filename = _safe(part.get_filename, None)
    return ctype, disposition, _decode_words(filename) if filename else None


def _payload_text(part: Message) -> str:
    data: object = _safe(lambda: part.get_payload(decode=True), None)
    if not isinstance(data, bytes):
        return ""
    return decode_bytes(data, _safe(part.get_content_charset, None))


def _safe(call: Callable[[], _T], default: _T) -> _T:
    try:
        return call()
    except Exception:  # Damaged MIME headers must not lose the message.
        return default


# --- HTML to text ----------------------------------------------------------------------

# Tags that end a line, and the subset that also leaves a blank line (a paragraph break).
_LINE_TAGS = frozenset({"br", "div", "tr", "li", "hr", "pre", "section", "article"})
_PARAGRAPH_TAGS = frozenset(
    {"p", "blockquote", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title"})


class _TextExtractor(HTMLParser):
    # Quoted blocks keep a "> " prefix so that quote stripping works on HTML-only replies.

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._chunks: list[str] = []
        self._quote = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "br" and not "".join(self._chunks).strip():
            self.lines.append("")  # A second <br> in a row is an empty line.
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._break(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "blockquote":
                self._quote += 1
            elif tag == "li":
                self._chunks.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _LINE_TAGS or tag in _PARAGRAPH_TAGS:
            self._break(paragraph=tag in _PARAGRAPH_TAGS)
            if tag == "blockquote" and self._quote > 0:
                self._quote -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._chunks.append(data)

    def _break(self, *, paragraph: bool) -> None:
        # Inline tags split text into chunks without adding spaces ("a<b>b</b>" is "ab").
        line = " ".join("".join(self._chunks).split())
        self._chunks = []
        if line:
            self.lines.append("> " * self._quote + line)
        if paragraph and self.lines and self.lines[-1]:
            self.lines.append("")

    def finish(self) -> str:
        self._break(paragraph=False)
        text = "\n".join(self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    """A readable plain-text rendering of ``html`` (paragraphs, lists, quotes kept)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # A parser failure halfway still leaves useful text behind.
        pass
    return extractor.finish()
