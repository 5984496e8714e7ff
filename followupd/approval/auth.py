"""Is this reply a command we may obey? Every check must pass; their order is data.

This issue's checks: the reply answers our review mail (In-Reply-To), carries that draft's
signed token, comes from the rep's address, and the draft is still undecided (tokens are
single use). Proof of origin (DKIM, Authentication-Results, the rep's Sent folder) is added to
``CHECKS`` later, without changing the callers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from followupd.approval.token import find_tokens, verify_token
from followupd.mail.parse import ParsedMessage


@dataclass(frozen=True, kw_only=True)
class CommandClaim:
    """What the command must match: the draft it answers and who may give it."""

    draft_id: int
    nonce: str
    review_message_id: str
    draft_state: str
    rep_address: str
    secret: bytes


Check = Callable[[ParsedMessage, CommandClaim], str | None]


def _answers_review(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if claim.review_message_id in msg.in_reply_to:
        return None
    return "it does not answer the review mail (In-Reply-To does not name it)"


def _token(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    for token in find_tokens(f"{msg.subject}\n{msg.text}"):
        found = verify_token(claim.secret, token)
        if found and found.draft_id == claim.draft_id and found.nonce == claim.nonce:
            return None
    return "it does not carry this draft's token (keep the FU-… line or the subject)"


def _sender(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if msg.from_ is not None and msg.from_.email == claim.rep_address:
        return None
    shown = msg.from_.email if msg.from_ else "(none)"
    return f"it comes from {shown}, not from the rep's address {claim.rep_address}"


def _unused(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    if claim.draft_state == "pending":
        return None
    return f"this draft was already decided ({claim.draft_state}); a token works once"


CHECKS: tuple[tuple[str, Check], ...] = (
    ("answers-review", _answers_review),
    ("token", _token),
    ("sender", _sender),
    ("single-use", _unused),
)


def refusal(msg: ParsedMessage, claim: CommandClaim) -> str | None:
    """None when every check passes, else the first failing check's explanation."""
    for _name, check in CHECKS:
        reason = check(msg, claim)
        if reason is not None:
            return reason
    return None
