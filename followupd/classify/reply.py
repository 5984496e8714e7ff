"""A reply on a tracked thread, found through the In-Reply-To / References graph.

Matching by normalised subject and buyer domain (for clients that drop the threading
headers) is a separate, later step. The reply's intent (interested, price, later ...) is
read here too, so the rep's notification can suggest the next step.
"""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext, is_rep, referenced_ids
from followupd.classify.intent import match_intent
from followupd.mail.parse import ParsedMessage

__all__ = ["detect_reply"]


def detect_reply(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "reply" when someone other than the rep answers a message of a tracked thread."""
    author = msg.from_ or msg.sender
    if author is None or is_rep(author, ctx):
        return None
    for msg_id in referenced_ids(msg):
        thread_id = ctx.thread_ids.get(msg_id)
        if thread_id is not None:
            evidence = {"from": author.email, "answers": msg_id}
            intent = match_intent(msg.text, msg.subject)
            if intent is not None:
                evidence["intent_rule"] = f"{intent.rule}: {intent.matched}"
            return Classification(
                label="reply",
                evidence=evidence,
                thread_id=thread_id,
                intent=None if intent is None else intent.intent,
            )
    return None
