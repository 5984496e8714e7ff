"""What became of a send: the kinds of failure, the error that carries one, and the reading
of SMTP error replies.

Pure: no I/O here; the sender (``sender.py``) feeds in replies and exceptions.

Providers that throttle a mailbox say so in words, and not always with a 4xx code: Gmail
answers 550 once the daily quota is used up, Alibaba Mail 554 when a mailbox sends too
often. Giving up on such a reply (5xx) would drop a follow-up that only had to wait, and
retrying it at once (4xx) makes the provider's lock last longer, so these replies get a kind
of their own, ``throttled``.

The signs are data, checked in order; the first that matches the text decides. A reply that
matches none is judged by its code alone (RFC 5321 §4.2.1): 5xx permanent, anything else
temporary. That includes 421, "service not available, closing transmission channel".
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import Literal

SendKind = Literal["temporary", "permanent", "throttled", "ambiguous"]


@dataclass(frozen=True)
class Sign:
    """Words in a reply that decide its kind whatever the code says."""

    pattern: re.Pattern[str]
    kind: SendKind
    why: str


def _sign(pattern: str, why: str, kind: SendKind = "throttled") -> Sign:
    return Sign(re.compile(pattern, re.IGNORECASE), kind, why)


def _status(code: str) -> str:
    """An enhanced status code (RFC 3463) standing alone, not part of an address or version."""
    return r"(?<![\d.])" + re.escape(code) + r"(?!\d)"


SIGNS: tuple[Sign, ...] = (
    # Gmail and Google Workspace. 4.7.28 and "unusual rate" come with 421 while the sending
    # IP or account looks like a bulk sender; 5.4.5 is the rolling 24-hour recipient quota,
    # and it comes with 550 although it clears by itself.
    _sign(_status("4.7.28"), "Gmail: unusual rate of mail from this sender"),
    _sign(r"unusual rate", "Gmail: unusual rate of mail from this sender"),
    _sign(_status("5.4.5"), "Gmail: daily sending quota used up"),
    _sign(r"daily (?:user )?sending (?:quota|limit)", "daily sending quota used up"),
    _sign(r"daily smtp relay limit", "Google Workspace: daily SMTP relay limit used up"),
    # Microsoft 365 / Exchange Online. 4.7.500 "Server busy" is its throttling of a sender;
    # SubmissionQuotaExceeded (5.2.0 or 5.2.2) the daily recipient limit; three connections
    # per mailbox at most ("sender thread limit", "concurrent connections limit"). An
    # on-premises Exchange says "Message submission rate ... exceeded the configured limit".
    # Not every 5.2.2: that code also means a full mailbox, which no waiting fixes.
    _sign(_status("4.7.500"), "Microsoft: server busy, throttling this sender"),
    _sign(r"submission ?quota", "Microsoft: daily submission quota used up"),
    _sign(r"sender thread limit", "Microsoft: too many connections for this mailbox"),
    _sign(r"submission rate", "Exchange: message submission rate over the limit"),
    # Alibaba Mail (Aliyun qiye): 454 or 554 "Reject by behaviour spam ... too frequently
    # sending" (also "much too frequently sending", "currently unexpected sending") when a
    # mailbox sends more per minute, hour or day than it allows.
    _sign(r"too frequent|frequently sending", "Alibaba Mail: sending too frequently"),
    _sign(r"unexpected sending", "Alibaba Mail: sending frequency looks abnormal"),
    # Tencent Exmail / QQ Mail: 550 "Ip frequency limited", "Connection frequency limited",
    # "Domain frequency limited".
    _sign(r"frequency limit", "Tencent: frequency limited"),
    # NetEase (163.com, qiye.163.com) explain with a code: HL:ICC too many concurrent
    # connections, HL:IFC too much mail in a short time, MI:DMC / RP:DRC too many messages or
    # recipients on one connection, MI:SFQ too many messages in 15 minutes, RP:QRC too many
    # recipients in a short time, MI:STC / RP:TRC the daily message / recipient limit.
    _sign(
        r"\b(?:HL:(?:ICC|IFC)|MI:(?:DMC|SFQ|STC)|RP:(?:DRC|QRC|TRC))\b",
        "NetEase: sending frequency or volume limit",
    ),
    # NetEase again: a login locked after failed attempts stays locked while they go on.
    _sign(r"too much fail(?:ed)? authentication", "NetEase: login locked after failed attempts"),
    # Zoho: 550 5.4.6 "Unusual sending activity detected. Please try after sometime."
    _sign(r"unusual sending activity", "Zoho: unusual sending activity"),
    # Words many MTAs and relays use (Postfix and Exim rate limits, policy daemons, Amazon
    # SES "Maximum sending rate exceeded"). Not "too many recipients": that is about one
    # message, not the pace, and waiting does not change it.
    _sign(r"\bthrottl", "the server throttles this sender"),
    _sign(r"\brate[ -]?limit|\brate exceeded", "rate limit"),
    _sign(r"maximum sending rate|sending rate", "sending rate limit"),
    _sign(r"sending quota|message quota exceeded", "sending quota used up"),
    _sign(
        r"too many (?:messages|mails|emails|connections|concurrent|sessions)"
        r"|concurrent connections? limit",
        "too many messages or connections",
    ),
)


def reply_sign(text: str) -> Sign | None:
    """The first sign in :data:`SIGNS` that matches ``text``, if any."""
    for sign in SIGNS:
        if sign.pattern.search(text):
            return sign
    return None


def classify_reply(code: int, text: str) -> SendKind:
    """The kind of an SMTP error reply: ``temporary``, ``permanent`` or ``throttled``.

    Never ``ambiguous``: a reply was read, so the server said what it did with the message.
    """
    sign = reply_sign(text)
    if sign is not None:
        return sign.kind
    if 500 <= code <= 599:
        return "permanent"
    return "temporary"


class SendError(Exception):
    """A send that did not end in acceptance.

    ``kind`` tells the caller what it may do next:

    * ``temporary``: nothing was accepted; the message may be sent again later.
    * ``permanent``: nothing was accepted, and sending again will not help.
    * ``throttled``: nothing was accepted; the provider wants this mailbox to slow down.
    * ``ambiguous``: the server may have accepted the message. Sending it again may give
      the buyer a second copy; look for it first (e.g. in the Sent folder) or ask the rep.

    ``code`` is the SMTP reply code when a reply was read.
    """

    def __init__(self, message: str, *, kind: SendKind, code: int | None = None) -> None:
        super().__init__(message)
        self.kind: SendKind = kind
        self.code = code

    @property
    def permanent(self) -> bool:
        """True when sending again cannot help (kept for callers from before ``kind``)."""
        return self.kind == "permanent"


def refusal(step: str, code: int, text: str) -> SendError:
    """The error for an error reply to ``step``: nothing was accepted."""
    sign = reply_sign(text)
    why = f" [{sign.why}]" if sign is not None else ""
    # aiosmtplib reports a reply it cannot parse with code -1.
    known = code if 200 <= code <= 599 else None
    return SendError(
        f"{step} refused: {code} {clip(text)}{why}", kind=classify_reply(code, text), code=known
    )


def failure(step: str, exc: BaseException) -> SendError:
    """The error for a failure without a reply before the message was sent."""
    cert = _cert_error(exc)
    if cert is not None:
        # A certificate that does not verify does not start to by itself, and logging in
        # anyway would hand the password to whoever is on the other end.
        detail = cert.verify_message or str(cert)
        return SendError(
            f"{step}: the server's TLS certificate does not verify: {clip(detail)}",
            kind="permanent",
        )
    return SendError(f"{step} failed: {describe(exc)}", kind="temporary")


def no_reply(exc: BaseException) -> SendError:
    """The error for a failure after the message may have been sent."""
    return SendError(
        f"no reply to the end of the message ({describe(exc)}); the server may have "
        "accepted it, so it must not be sent again without checking",
        kind="ambiguous",
    )


def clip(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """An exception and its cause, for a log line or an error message."""
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    if cause is not None and str(cause) not in text:
        text += f" ({type(cause).__name__}: {cause})"
    return clip(text)


def _cert_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
