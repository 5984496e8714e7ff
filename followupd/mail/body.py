"""Find the best plain-text body of a message and the names of its attachments.

Damaged MIME structure (missing boundaries, bad charsets, broken transfer encodings) is
tolerated: a part that cannot be read contributes nothing rather than losing the message.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from typing import TypeVar

from followupd.mail.charset import decode_bytes
from followupd.mail.headers import decode_words
from followupd.mail.htmltext import html_to_text

__all__ = ["best_text", "safe"]

_MAX_DEPTH = 40
_T = TypeVar("_T")


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
    ctype = safe(part.get_content_type, "text/plain")
    payload = part.get_payload()
    if not part.is_multipart() or ctype.startswith("message/") or not isinstance(payload, list):
        return [part]
    return [leaf for sub in payload if isinstance(sub, Message) for leaf in _leaves(sub, depth + 1)]


def _part_info(part: Message) -> tuple[str, str | None, str | None]:
    ctype = safe(part.get_content_type, "text/plain")
    disposition = safe(part.get_content_disposition, None)
    filename = safe(part.get_filename, None)
    return ctype, disposition, decode_words(filename) if filename else None


def _payload_text(part: Message) -> str:
    data: object = safe(lambda: part.get_payload(decode=True), None)
    if not isinstance(data, bytes):
        return ""
    return decode_bytes(data, safe(part.get_content_charset, None))


def safe(call: Callable[[], _T], default: _T) -> _T:
    """The result of ``call()``, or ``default`` when it raises."""
    try:
        return call()
    except Exception:  # Damaged MIME headers must not lose the message.
        return default
