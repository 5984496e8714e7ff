"""A reply on a tracked thread: by the In-Reply-To / References graph, else by subject.

Some clients (webmail, phones, a colleague starting a fresh mail) drop the threading headers.
Then a message from the buyer's domain whose subject, without reply/forward prefixes, is the
thread's subject is taken as the reply: one company is one account, and stopping on a
doubtful match costs a follow-up, while missing a reply would embarrass the rep. The reply's
intent (interested, price, later ...) is read here too, for the rep's notification.
"""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext, is_rep, referenced_ids
from followupd.classify.intent import match_intent
from followupd.mail.parse import ParsedMessage
from followupd.mail.subject import thread_key

__all__ = ["detect_reply"]


def detect_reply(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "reply" when someone other than the rep answers a message of a tracked thread."""
    author = msg.from_ or msg.sender
    if author is None or is_rep(author, ctx):
        return None
    for msg_id in referenced_ids(msg):
        thread_id = ctx.thread_ids.get(msg_id)
        if thread_id is not None:
            return _reply(msg, author.email, thread_id, {"answers": msg_id})
    domain = author.email.rpartition("@")[2]
    key = thread_key(msg.subject)
    thread_id = ctx.subject_threads.get((domain, key)) if key else None
    if thread_id is not None:
        return _reply(msg, author.email, thread_id, {"matched": f"subject and domain {domain}"})
    return None


def _reply(msg: ParsedMessage, sender: str, thread_id: int, why: dict[str, str]) -> Classification:
    evidence = {"from": sender, **why}
    intent = match_intent(msg.text, msg.subject)
    if intent is not None:
        evidence["intent_rule"] = f"{intent.rule}: {intent.matched}"
    return Classification(
        label="reply",
        evidence=evidence,
        thread_id=thread_id,
        intent=None if intent is None else intent.intent,
    )
