"""Is this reply a command we may obey? Every check must pass; their order is data.

The checks: the reply answers the mail we sent (In-Reply-To), carries that mail's signed
token, comes from the rep's address, and the token is unused and unexpired. The same checks
guard replies to review mails (token ``FU-``, a draft) and to notices about a thread (token
``FN-``). Then the reply must prove its origin (DKIM, the trusted Authentication-Results or
the rep's Sent folder, see :mod:`.origin`), and a draft must still be fresh: a buyer reply
or read receipt after it was made means the rep approved something out of date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from followupd.approval.origin import OriginEvidence
from followupd.approval.token import find_tokens, verify_token
from followupd.mail.parse import ParsedMessage

__all__ = [
    "CHECKS",
    "MAX_COMMAND_BYTES",
    "NOTICE_TTL",
    "CheckResult",
    "CommandClaim",
    "evaluate",
    "refusal",
]

# A notice's token works this long: corrections come within days, not months, and an old
# notice found in an archive should not still steer a thread.
NOTICE_TTL = timedelta(days=30)
# A command reply is a few words above a quoted review mail. Far larger ones (pasted
# attachments, a whole mailbox forwarded) are refused rather than searched for commands;
# the rep can answer again with a short reply.
MAX_COMMAND_BYTES = 1_000_000
MAX_COMMAND_CHARS = 200_000


@dataclass(frozen=True, kw_only=True)
class CommandClaim:
    """What the command must match: the mail it answers and who may give it.

    ``draft_id`` is the draft's id for a review mail (``kind`` "FU") or the notice's id for a
    notice (``kind`` "FN"); ``review_message_id`` is that mail's Message-ID. ``draft_state``
    is "pending" while the token may still be used, else what happened to it (for the
    explanation).
    """

    draft_id: int
    nonce: str
    review_message_id: str
    draft_state: str
    rep_address: str
    secret: bytes
    kind: str = "FU"
    # The proofs of the reply's origin; None means none were gathered, which refuses.
    origin: OriginEvidence | None = None
    # Why the draft is out of date (the thread changed after it was made), or None.
    stale: str | None = None


Check = Callable[[ParsedMessage, CommandClaim], str | None]


def _small(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if msg.size > MAX_COMMAND_BYTES:
        return (
            f"the reply is {msg.size} bytes, more than the {MAX_COMMAND_BYTES} a command may "
            "have; answer again with a short reply (no attachments)"
        )
    if len(msg.text) > MAX_COMMAND_CHARS:
        return (
            f"the reply's text is {len(msg.text)} characters, more than the "
            f"{MAX_COMMAND_CHARS} a command may have; answer again with a short reply"
        )
    return None


def _answers_review(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if claim.review_message_id in msg.in_reply_to:
        return None
    what = {"FU": "review mail", "FD": "digest"}.get(claim.kind, "followupd mail")
    return f"it does not answer the {what} (In-Reply-To does not name it)"


def _token(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    for token in find_tokens(f"{msg.subject}\n{msg.text}"):
        found = verify_token(claim.secret, token)
        if (
            found
            and found.kind == claim.kind
            and found.draft_id == claim.draft_id
            and found.nonce == claim.nonce
        ):
            return None
    if claim.kind == "FU":
        return "it does not carry this draft's token (keep the FU-… line or the subject)"
    return f"it does not carry this mail's token (keep the {claim.kind}-… line)"


def _sender(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if msg.from_ is not None and msg.from_.email == claim.rep_address:
        return None
    shown = msg.from_.email if msg.from_ else "(none)"
    return f"it comes from {shown}, not from the rep's address {claim.rep_address}"


def _unused(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if claim.draft_state == "pending":
        return None
    if claim.kind == "FU":
        return f"this draft was already decided ({claim.draft_state}); a token works once"
    return f"this mail's token was {claim.draft_state}; answer the newest followupd mail"


def _origin(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if claim.origin is None:
        return "its origin was not checked"
    if claim.origin.proven() is not None:
        return None
    return f"its origin is not proven ({claim.origin.summary()})"


def _fresh(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if claim.stale is None:
        return None
    return f"the thread changed after the draft was made ({claim.stale})"


CHECKS: tuple[tuple[str, Check], ...] = (
    ("size", _small),
    ("answers-review", _answers_review),
    ("token", _token),
    ("sender", _sender),
    ("single-use", _unused),
    ("origin", _origin),
    ("fresh", _fresh),
)


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def evaluate(msg: ParsedMessage, claim: CommandClaim) -> list[CheckResult]:
    """Every check's result, in order (``followupd command-check`` prints them all)."""
    results = []
    for name, check in CHECKS:
        reason = check(msg, claim)
        results.append(
            CheckResult(name=name, ok=reason is None, detail=reason or _passed(name, claim))
        )
    return results


def refusal(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    """None when every check passes, else the first failing check's explanation."""
    for _name, check in CHECKS:
        reason = check(msg, claim)
        if reason is not None:
            return reason
    return None


def _passed(name: str, claim: CommandClaim) -> str:
    if name == "origin" and claim.origin is not None:
        proof = claim.origin.proven()
        return f"{proof.name}: {proof.detail}" if proof else "proven"
    return "ok"
