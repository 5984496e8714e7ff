"""Build the messages followupd sends, as :class:`email.message.EmailMessage` objects.

Two kinds exist and must never be confused. A *follow-up* goes to the buyer in the rep's
name and has to look like the rep wrote it: no machine headers. An *internal* mail (review,
notice, confirmation) goes to the rep and is marked as machine mail (RFC 3834
``Auto-Submitted``) plus ``X-Followupd`` so that the daemon ignores it when it sees it in the
mailbox. Nothing here reads the clock: the caller passes the ``Date``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email import headerregistry, policy
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime
from typing import Any

from followupd.mail.parse import Address

__all__ = [
    "MAX_REFERENCES",
    "build_followup",
    "build_internal",
    "make_message_id",
    "reference_chain",
    "reply_subject",
]

# Long threads would otherwise grow References without bound; RFC 5322 §3.6.4 allows
# dropping middle ids, and threading needs only the root (first) and the latest ones.
MAX_REFERENCES = 20

# Reply prefixes of common clients and languages, possibly repeated and possibly counted
# ("Re[2]:", "RE (3):"). Forward prefixes are not here: "Re: Fw: x" is a different thread.
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|antw|sv|vs|r[ée]f\.?|odp|回复|答复|回覆)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


class _MessageIdListHeader(headerregistry.BaseHeader):
    """In-Reply-To / References: folded only between ids, never encoded.

    The stock header class treats these as free text and turns an id longer than a line
    (common with Outlook) into an RFC 2047 encoded word, which breaks threading.
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        headerregistry.UnstructuredHeader.parse(value, kwds)

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 998
        lines = [f"{self.name}:"]
        for msg_id in str(self).split():
            if len(lines[-1]) + 1 + len(msg_id) > limit and lines[-1].strip().endswith(">"):
                lines.append("")
            lines[-1] += f" {msg_id}"
        return policy.linesep.join(lines) + policy.linesep


_REGISTRY = headerregistry.HeaderRegistry()
_REGISTRY.map_to_type("in-reply-to", _MessageIdListHeader)
_REGISTRY.map_to_type("references", _MessageIdListHeader)
# 7-bit transfer encodings (the shorter of quoted-printable and base64) go through any
# relay, including the few that still lack 8BITMIME.
_POLICY = policy.default.clone(header_factory=_REGISTRY, cte_type="7bit")

_KIND = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")


def reply_subject(subject: str) -> str:
    """``subject`` with any run of leading reply prefixes collapsed into one ``Re: ``."""
    rest = _REPLY_PREFIX.sub("", subject.strip(), count=1)
    return f"Re: {rest}".rstrip()


def make_message_id(*parts: str | int, domain: str) -> str:
    """A deterministic Message-ID (without angle brackets) for the given ``parts``.

    The same parts always give the same id, so a send retried after a crash carries the
    same Message-ID and the buyer's client shows at most one copy.
    """
    if not parts:
        raise ValueError("make_message_id needs at least one part")
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()
    return f"fu.{digest[:24]}@{domain.lower()}"


def build_followup(
    *,
    from_: Address,
    to: Address,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    in_reply_to: str,
    references: Sequence[str],
    date: datetime,
    read_receipt_to: str | None = None,
) -> EmailMessage:
    """The follow-up to the buyer: text and HTML alternatives, threaded on ``in_reply_to``."""
    msg = _headers(from_=from_, to=to, subject=subject, message_id=message_id, date=date)
    msg["In-Reply-To"] = f"<{_bare(in_reply_to)}>"
    msg["References"] = " ".join(f"<{i}>" for i in reference_chain(references, in_reply_to))
    if read_receipt_to:
        msg["Disposition-Notification-To"] = read_receipt_to
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    # The stdlib stamps MIME-Version on the new part too; it belongs on the top level only.
    for part in msg.iter_parts():
        del part["MIME-Version"]
    return msg


def build_internal(
    *,
    from_: Address,
    to: Address,
    subject: str,
    text: str,
    message_id: str,
    date: datetime,
    kind: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> EmailMessage:
    """A plain-text mail from followupd to the rep, marked as machine mail of ``kind``."""
    if not _KIND.match(kind):
        raise ValueError(f"X-Followupd kind must be a short lower-case word, got {kind!r}")
    msg = _headers(from_=from_, to=to, subject=subject, message_id=message_id, date=date)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{_bare(in_reply_to)}>"
        msg["References"] = " ".join(f"<{i}>" for i in reference_chain(references, in_reply_to))
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Followupd"] = kind
    msg.set_content(text, subtype="plain", charset="utf-8")
    return msg


def reference_chain(references: Sequence[str], in_reply_to: str) -> list[str]:
    """The References ids for a reply: de-duplicated, ending with ``in_reply_to``, trimmed."""
    parent = _bare(in_reply_to)
    chain = [i for i in dict.fromkeys(_bare(r) for r in references) if i and i != parent]
    chain.append(parent)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


def _headers(
    *, from_: Address, to: Address, subject: str, message_id: str, date: datetime
) -> EmailMessage:
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the Date of an outgoing message must be timezone-aware")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _mailbox(from_)
    msg["To"] = _mailbox(to)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{_bare(message_id)}>"
    msg["MIME-Version"] = "1.0"
    return msg


def _mailbox(address: Address) -> headerregistry.Address:
    # The header registry encodes non-ASCII display names (RFC 2047) and quotes specials.
    return headerregistry.Address(display_name=address.name, addr_spec=address.email)


def _bare(message_id: str) -> str:
    bare = "".join(message_id.split()).strip("<>")
    if not bare or "<" in bare or ">" in bare:
        raise ValueError(f"not a usable message id: {message_id!r}")
    return bare
