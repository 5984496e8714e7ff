"""The header index of mail already in a folder: a few fields per message, fetched in bulk.

At first sight of a folder its existing mail is the rep's past: it is never acted upon, but its
Message-IDs, threading headers and the senders' Date offsets are worth keeping. Tens of
thousands of messages are read this way, so nothing here parses a whole message: the server's
ENVELOPE (which imapclient parses anyway) gives the author, the ids and the subject, and only
the References and Date headers are fetched as raw bytes. Only ENVELOPE and BODY.PEEK are
fetched, so no message is marked \\Seen.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz
from typing import Any

from imapclient import IMAPClient

from followupd.mail.charset import decode_bytes
from followupd.mail.headers import decode_words

__all__ = ["FETCH_ITEMS", "IndexRow", "fetch_index", "row_from_fetch"]

# The ENVELOPE lacks References. Its Date comes back from imapclient parsed, but "-0000" and a
# missing or unknown zone all look like "+0000" there; the raw Date tells them apart.
FETCH_ITEMS = ("ENVELOPE", "BODY.PEEK[HEADER.FIELDS (REFERENCES DATE)]")
# Servers normalise the echoed section (upper case, field order), so it is found by prefix
# when it is not the one asked for.
_HEADER_KEY = b"BODY[HEADER.FIELDS (REFERENCES DATE)]"
_HEADER_KEY_PREFIX = b"BODY[HEADER.FIELDS"

# Limits of the columns the rows are stored in; a longer value is damage, not data.
MAX_ID_CHARS = 998
MAX_ADDRESS_CHARS = 320
MAX_SUBJECT_CHARS = 998
# A thread's root and its most recent ancestors are what threading needs; long chains keep
# the first id and the last ones (as RFC 5322 section 3.6.4 suggests for trimming).
MAX_REFERENCES = 20
# Only the ends of a longer References are searched for ids: an attacker's megabyte header
# must not cost more than a normal message.
_MAX_REFERENCES_BYTES = 64 * 1024
_REFERENCES_HEAD = 4 * 1024
_REFERENCES_TAIL = _MAX_REFERENCES_BYTES - _REFERENCES_HEAD

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
# One header field, folded lines included: (name, value).
_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.MULTILINE)
_UTC_NAMES = frozenset({b"UT", b"UTC", b"GMT", b"Z"})
_DAY_SECONDS = 24 * 3600
# What servers put in an ENVELOPE address for a part the header lacked or mangled.
_PLACEHOLDERS = frozenset({b"MISSING_MAILBOX", b"MISSING_DOMAIN", b".SYNTAX-ERROR."})
_BRACKETED_ID = re.compile(rb"<([^<>]*)>")
# Nearly every id is printable ASCII without white space; such ids need no cleaning and are
# taken in one regex pass, everything else goes the careful way.
_PLAIN_ID = re.compile(rb"<([!-;=?-~]{1,%d})>" % MAX_ID_CHARS)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexRow:
    """The indexed header fields of one message; a field that was absent or unusable is None."""

    uid: int
    message_id: str | None
    in_reply_to: str | None
    references: str | None
    from_addr: str | None
    subject: str | None
    date: datetime | None
    utc_offset_minutes: int | None


def fetch_index(
    client: IMAPClient, uids: Sequence[int], *, batch: int = 500
) -> Iterator[list[IndexRow]]:
    """Index rows of ``uids`` in the folder ``client`` has selected, one list per batch.

    Messages expunged since ``uids`` was listed are left out (a batch may come out shorter, and
    an empty batch is not yielded). Odd header values become None; only network and server
    errors raise. Call it from the thread that owns ``client``: each FETCH runs with the
    client's ``normalise_times`` switched off, and the setting is restored right after.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    for start in range(0, len(uids), batch):
        chunk = uids[start : start + batch]
        # By default imapclient turns each ENVELOPE date into naive local time, which costs
        # time and drops the sender's offset; left as sent, it spares most Date parsing here.
        normalise = client.normalise_times
        client.normalise_times = False
        try:
            data = client.fetch(chunk, FETCH_ITEMS)
        finally:
            client.normalise_times = normalise
        rows = []
        for uid in chunk:
            item = data.get(uid)
            # A missing ENVELOPE means an unsolicited FETCH (flags) for a message that is gone.
            if item is not None and b"ENVELOPE" in item:
                rows.append(row_from_fetch(uid, item))
        # Not kept alive while the consumer has the batch: the parsed response is thousands
        # of objects that every garbage collection in between would walk again.
        del data
        if rows:
            yield rows


def row_from_fetch(uid: int, data: Mapping[bytes, Any]) -> IndexRow:
    """The row for one message's FETCH data; never raises.

    ``data`` maps imapclient's response keys to values: an ``Envelope`` under ``b"ENVELOPE"``
    and the raw header fields under a key starting ``b"BODY[HEADER.FIELDS"``.
    """
    envelope = data.get(b"ENVELOPE")
    header = data.get(_HEADER_KEY)
    if header is None:
        header = next(
            (
                v
                for k, v in data.items()
                if isinstance(k, bytes) and k.startswith(_HEADER_KEY_PREFIX)
            ),
            b"",
        )
    references, date_value = _split_fields(header) if isinstance(header, bytes) else (b"", b"")
    date, offset = _date_and_offset(getattr(envelope, "date", None), date_value)
    return IndexRow(
        uid=uid,
        message_id=_one_id(getattr(envelope, "message_id", None)),
        in_reply_to=_one_id(getattr(envelope, "in_reply_to", None)),
        references=_references(references),
        from_addr=_from_addr(getattr(envelope, "from_", None)),
        subject=_subject(getattr(envelope, "subject", None)),
        date=date,
        utc_offset_minutes=offset,
    )


def _split_fields(header: bytes) -> tuple[bytes, bytes]:
    """The References and Date values of a HEADER.FIELDS response (folding left in)."""
    references: list[bytes] = []
    date = b""
    for name, value in _FIELD.findall(header):
        name = name.lower()
        if name == b"references":
            references.append(value)
        elif name == b"date" and not date:
            date = value
    return b" ".join(references), date


def _one_id(raw: object) -> str | None:
    """The first message id in an ENVELOPE id field, without brackets."""
    if not isinstance(raw, bytes):
        return None
    plain = _PLAIN_ID.fullmatch(raw)
    if plain is not None and plain.group(1).strip(b"@"):
        return plain.group(1).decode("ascii")
    found = _BRACKETED_ID.search(raw)
    if found is not None:
        return _clean_id(found.group(1))
    # Some mailers omit the brackets; then only a token that looks like an id is trusted.
    for token in raw.replace(b",", b" ").split():
        token = token.strip(b"<>")
        if b"@" in token and b"<" not in token and b">" not in token:
            return _clean_id(token)
    return None


def _references(value: bytes) -> str | None:
    plain = _PLAIN_ID.findall(value)
    if len(plain) == value.count(b"<") and len(value) <= _MAX_REFERENCES_BYTES:
        if b"<@" in value:
            plain = [i for i in plain if i.strip(b"@")]
        if not plain:
            return None
        plain = list(dict.fromkeys(plain))
        if len(plain) > MAX_REFERENCES:
            plain = [plain[0], *plain[len(plain) - MAX_REFERENCES + 1 :]]
        return b" ".join(plain).decode("ascii")
    if len(value) > _MAX_REFERENCES_BYTES:
        # The root is at the start and the nearest ancestors at the end; both cuts move to an
        # id boundary so that no severed id passes for a whole one.
        head = value[:_REFERENCES_HEAD]
        tail = value[-_REFERENCES_TAIL:]
        value = head[: head.rfind(b">") + 1] + b" " + tail[max(tail.find(b"<"), 0) :]
    ids = [i for i in map(_clean_id, _BRACKETED_ID.findall(value)) if i is not None]
    if not ids:
        return None
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[len(ids) - MAX_REFERENCES + 1 :]]
    return " ".join(ids)


def _clean_id(value: bytes) -> str | None:
    # Folding can put white space inside a long id; it is not part of the id.
    if b" " in value or b"\t" in value or b"\r" in value or b"\n" in value:
        value = b"".join(value.split())
    # A bare "@" or "" would make unrelated damaged messages look like one thread.
    if not value.strip(b"@") or len(value) > MAX_ID_CHARS:
        return None
    return _ascii(value)


def _from_addr(addresses: object) -> str | None:
    if not isinstance(addresses, tuple):
        return None
    for address in addresses:
        mailbox = getattr(address, "mailbox", None)
        host = getattr(address, "host", None)
        # Group syntax gives entries without a host; the first real address is the author.
        if isinstance(mailbox, bytes) and isinstance(host, bytes) and mailbox and host:
            if mailbox in _PLACEHOLDERS or host in _PLACEHOLDERS:
                return None
            try:
                text = (mailbox + b"@" + host).decode("utf-8").lower()
            except UnicodeDecodeError:
                return None
            if len(text) > MAX_ADDRESS_CHARS or not text.isprintable() or " " in text:
                return None
            return text
    return None


def _subject(raw: object) -> str | None:
    if not isinstance(raw, bytes):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Unlabelled 8-bit subjects are rare and their charset would only be a guess.
        return None
    if "\r" in text or "\n" in text:
        text = text.replace("\r\n", "").replace("\r", "").replace("\n", "")
    if "=?" in text:
        text = _decode_words(text[: MAX_SUBJECT_CHARS * 4])
    # PostgreSQL text cannot hold NUL.
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text[:MAX_SUBJECT_CHARS]


def _decode_words(text: str) -> str:
    """RFC 2047 encoded words decoded; the common forms here, odd ones by the full decoder.

    Adjacent words in one charset are joined as bytes before decoding, because encoders split
    multi-byte characters between words.
    """
    out: list[str] = []
    chunk = bytearray()
    charset = ""
    pos = 0
    try:
        for word in _ENCODED_WORD.finditer(text):
            gap = text[pos : word.start()]
            name = word.group(1).partition("*")[0].lower()
            # White space between two encoded words is not part of the text (RFC 2047 6.2).
            joined = pos > 0 and not gap.strip()
            if chunk and (not joined or name != charset):
                out.append(decode_bytes(bytes(chunk), charset))
                chunk.clear()
            if not joined:
                out.append(gap)
            charset = name
            payload = word.group(3)
            if word.group(2) in "Bb":
                chunk += binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
            else:
                chunk += binascii.a2b_qp(payload, header=True)
            pos = word.end()
        if chunk:
            out.append(decode_bytes(bytes(chunk), charset))
    except ValueError:
        # Broken base64, non-ASCII inside a word: the full decoder degrades gracefully.
        return decode_words(text)
    out.append(text[pos:])
    return "".join(out)


def _date_and_offset(parsed: object, raw: bytes) -> tuple[datetime | None, int | None]:
    """The Date in UTC and the sender's offset from UTC in minutes.

    ``parsed`` is imapclient's ENVELOPE date, ``raw`` the Date header's value. The ENVELOPE
    date is taken when its offset is not zero and the header names that very zone: servers
    should not rewrite the Date, but one that did must not teach us its own time zone.
    """
    if isinstance(parsed, datetime) and parsed.tzinfo is not None:
        try:
            offset = parsed.utcoffset()
        except (ValueError, OverflowError):
            # An offset of a day or more ("+9999" parses): the header text decides below.
            offset = None
        if offset:
            minutes = int(offset.total_seconds()) // 60
            if _zone_token(minutes) in raw:
                return (parsed - offset).replace(tzinfo=UTC), minutes
    return _parse_date(raw)


@functools.lru_cache(maxsize=128)
def _zone_token(minutes: int) -> bytes:
    hours, rest = divmod(abs(minutes), 60)
    return b"%c%02d%02d" % (b"-" if minutes < 0 else b"+", hours, rest)


def _parse_date(value: bytes) -> tuple[datetime | None, int | None]:
    try:
        parts = parsedate_tz(value.decode("latin-1"))
        if parts is None:
            return None, None
        year, month, day, hour, minute, second = parts[:6]
        seconds_east = parts[9] or 0
        if abs(seconds_east) >= _DAY_SECONDS:
            return None, None  # "+9999" parses, but no zone is a day away from UTC
        # A leap second (:60) is still the same minute for our purposes.
        local = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        date = local - timedelta(seconds=seconds_east)
    except (ValueError, OverflowError, IndexError, TypeError):
        # An impossible day, a date at the edge of the calendar, or text parsedate chokes on.
        return None, None
    if seconds_east == 0 and not _explicit_utc(value):
        # "-0000", a missing zone and unknown zone names all parse as +0000; RFC 5322 says
        # the first means "local zone unknown", and the others say nothing either.
        return date, None
    return date, seconds_east // 60


def _explicit_utc(value: bytes) -> bool:
    zone = value.partition(b"(")[0].split()
    if not zone:
        return False
    token = zone[-1].upper()
    return token.endswith(b"+0000") or token in _UTC_NAMES


def _ascii(value: bytes) -> str | None:
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None
