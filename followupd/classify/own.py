"""Mail that followupd itself generated (review mails, notices) is never acted upon."""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext
from followupd.mail.parse import ParsedMessage

__all__ = ["detect_own"]


def detect_own(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "own" when the message carries the ``X-Followupd`` header we put on our own mail.

    The header alone decides, whoever the sender is: our review mails land in the rep's
    mailbox (and the Sent folder), and acting on them would make the daemon answer itself.
    """
    kind = msg.auto_headers.get("x-followupd")
    if kind is None:
        return None
    return Classification(label="own", evidence={"x-followupd": kind[:80]})
