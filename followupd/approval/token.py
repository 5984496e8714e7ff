"""Signed tokens in the mails followupd sends the rep: ``FU-<draft id>-<nonce>-<signature>``.

A review mail carries one token; the rep's reply quotes it back. The token proves that the
reply answers a review mail we sent for that very draft, because only the daemon knows the
secret that signs it. Notices about a thread (the "Tracking" mail, confirmations, reminders)
carry ``FN-<notice id>-…`` tokens the same way, and a daily digest of drafts ``FD-<digest
id>-…``; the kind is part of what is signed, so a
draft's token can never pass for a notice's and the other way round.

The format uses only digits, lower-case base32 letters and hyphens: mail clients neither
linkify such a string nor break it, and it survives quoting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = ["NONCE_LENGTH", "TokenClaim", "find_tokens", "make_token", "new_nonce", "verify_token"]

NONCE_LENGTH = 10
# 16 base32 characters are 80 bits of the HMAC: far beyond guessing by mail.
_SIGNATURE_LENGTH = 16
_MAX_DRAFT_DIGITS = 18
_KINDS = ("FU", "FN", "FD")
_TOKEN = re.compile(
    rf"(?<![A-Za-z0-9-])(FU|FN|FD)-([1-9][0-9]{{0,{_MAX_DRAFT_DIGITS - 1}}})"
    rf"-([a-z2-7]{{{NONCE_LENGTH}}})-([a-z2-7]{{{_SIGNATURE_LENGTH}}})(?![A-Za-z0-9-])",
    re.IGNORECASE,
)
_NONCE = re.compile(rf"^[a-z2-7]{{{NONCE_LENGTH}}}$")


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenClaim:
    """What a genuine token says: which draft (or notice), and which mail (nonce) of it."""

    draft_id: int
    nonce: str
    # "FU": a draft's review mail; "FN": a notice about a thread; "FD": a digest of drafts
    # (draft_id is then the notice's or the digest's id).
    kind: str = "FU"


def new_nonce() -> str:
    """A fresh random nonce of :data:`NONCE_LENGTH` lower-case base32 characters."""
    return _base32(secrets.token_bytes(8))[:NONCE_LENGTH]


def make_token(secret: bytes, draft_id: int, nonce: str, *, kind: str = "FU") -> str:
    """The signed token for ``draft_id`` and ``nonce`` (from :func:`new_nonce`).

    ``kind`` is "FU" for a review mail, "FN" for a notice and "FD" for a digest (then
    ``draft_id`` is the notice's or the digest's id).
    """
    if kind not in _KINDS:
        raise ValueError(f"token kind must be one of {_KINDS}")
    if not secret:
        raise ValueError("the token secret must not be empty")
    if draft_id <= 0 or len(str(draft_id)) > _MAX_DRAFT_DIGITS:
        raise ValueError(f"draft id out of range: {draft_id}")
    if not _NONCE.match(nonce):
        raise ValueError("nonce must be lower-case base32 of the right length")
    return f"{kind}-{draft_id}-{nonce}-{_signature(secret, draft_id, nonce, kind)}"


def find_tokens(text: str) -> list[str]:
    """Every token-shaped string in ``text``, in order, duplicates removed; not verified."""
    # Some clients change case when quoting; the canonical form has an upper-case prefix.
    found = (f"{m[1].upper()}-{m[2]}-{m[3].lower()}-{m[4].lower()}" for m in _TOKEN.finditer(text))
    return list(dict.fromkeys(found))


def verify_token(secret: bytes, token: str) -> TokenClaim | None:
    """The claim of ``token`` if it was signed with ``secret``, else ``None``.

    The signature is compared in constant time. A token stays valid forever as far as this
    function knows: single use is enforced by the caller, which records the nonce of every
    token it has obeyed in the database and refuses a second use.
    """
    match = _TOKEN.fullmatch(token.strip())
    if match is None or not secret:
        return None
    kind = match.group(1).upper()
    draft_id = int(match.group(2))
    nonce = match.group(3).lower()
    expected = _signature(secret, draft_id, nonce, kind)
    if not hmac.compare_digest(expected, match.group(4).lower()):
        return None
    return TokenClaim(draft_id=draft_id, nonce=nonce, kind=kind)


def _signature(secret: bytes, draft_id: int, nonce: str, kind: str = "FU") -> str:
    # Review tokens sign "<id>:<nonce>" (as they always have, so tokens already mailed stay
    # valid); every other kind signs its name too.
    message = f"{draft_id}:{nonce}" if kind == "FU" else f"{kind}:{draft_id}:{nonce}"
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return _base32(digest)[:_SIGNATURE_LENGTH]


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()
