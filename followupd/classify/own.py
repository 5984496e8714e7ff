"""Mail that followupd itself generated (review mails, notices) is never acted upon."""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext, is_rep
from followupd.mail.parse import ParsedMessage

__all__ = ["detect_own"]


def detect_own(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "own" when the message carries the ``X-Followupd`` header we put on our own mail.

    Our review mails and notices land in the rep's mailbox, and acting on them would make the
    daemon answer itself. We always send them from the rep's address; the header on mail from
    anyone else proves nothing, and ignoring such mail could hide a buyer's reply.
    """
    kind = msg.auto_headers.get("x-followupd")
    if kind is None or not is_rep(msg.from_, ctx):
        return None
    return Classification(label="own", evidence={"x-followupd": kind[:80]})
