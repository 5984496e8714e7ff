"""Read header values from a parsed message: raw, decoded, and as message ids.

Like the rest of the parser these helpers never raise on damaged input (8-bit bytes, broken
encoded words, over-long values); they degrade to the best text they can recover.
"""

from __future__ import annotations

import re
from email import policy
from email.header import decode_header
from email.message import Message

from followupd.mail.charset import decode_bytes

__all__ = ["clean", "decode_words", "header_text", "message_ids", "raw_values"]

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
        return clean(str(policy.default.header_factory(name, values[0])))
    except Exception:  # policy.default raises on some malformed headers; decode by hand.
        return decode_words(values[0])


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


def clean(value: str) -> str:
    """``value`` made encodable as UTF-8 (stray surrogate escapes repaired or replaced)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _fix_8bit(value).encode("utf-8", "replace").decode("utf-8")
    return value


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in ``value`` by hand; never raises."""
    try:
        parts = decode_header(value)
    except Exception:  # Broken encoded words: the raw text is better than nothing.
        return clean(value)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:
            out.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            out.append(decode_bytes(chunk, charset))
    return clean("".join(out))
