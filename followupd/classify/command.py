"""A rep's answer to one of our review mails, a digest of them, or a notice about a thread.

Only the link to our mail is checked here. Whether the command may be obeyed (token,
DKIM, Sent folder) is decided later by the approval service, which also reads the verb.
"""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext, is_rep, referenced_ids
from followupd.mail.parse import ParsedMessage

__all__ = ["detect_command"]


def detect_command(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "command" when a rep address answers a review mail (carries its draft id), a
    notice (the notice id) or a digest (the digest id); the nearest referenced mail decides."""
    sender = msg.from_
    if not is_rep(sender, ctx):
        return None
    for msg_id in referenced_ids(msg):
        draft_id = ctx.review_ids.get(msg_id)
        if draft_id is not None:
            return Classification(
                label="command",
                evidence={"from": sender.email, "answers_review": msg_id},
                draft_id=draft_id,
            )
        notice_id = ctx.notice_ids.get(msg_id)
        if notice_id is not None:
            return Classification(
                label="command",
                evidence={"from": sender.email, "answers_notice": msg_id},
                notice_id=notice_id,
            )
        digest_id = ctx.digest_ids.get(msg_id)
        if digest_id is not None:
            return Classification(
                label="command",
                evidence={"from": sender.email, "answers_digest": msg_id},
                digest_id=digest_id,
            )
    return None
