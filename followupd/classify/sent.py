"""Mail in the rep's Sent folder: the rep's own words, never a buyer's.

What matters there is a reply the rep wrote by hand on a tracked thread: the rep took the
conversation over, and automation must step back. Copies of mail followupd tracks or sent
itself (the enrolled mail, our follow-ups, review mails a provider saved) are not that.
"""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext, is_rep, referenced_ids
from followupd.mail.parse import Address, ParsedMessage
from followupd.mail.subject import thread_key

__all__ = ["detect_rep_reply", "detect_tracked_copy"]


def detect_tracked_copy(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "own" when the message *is* a tracked mail: the enrolled original or our follow-up."""
    if msg.message_id and msg.message_id in ctx.thread_ids:
        return Classification(
            label="own",
            evidence={"tracked_mail": msg.message_id},
            thread_id=ctx.thread_ids[msg.message_id],
        )
    return None


def _buyers(msg: ParsedMessage, ctx: ClassifyContext) -> list[Address]:
    return [a for a in (*msg.to, *msg.cc) if "@" in a.email and not is_rep(a, ctx)]


def detect_rep_reply(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "rep_reply" when the rep wrote to a buyer on a tracked thread.

    Matched like a buyer's reply: by the threading headers, else by the subject and a
    recipient's domain. Mail only to the rep's own addresses (a note to self, a command) is
    not writing to the buyer.
    """
    buyers = _buyers(msg, ctx)
    if not buyers:
        return None
    evidence = {"from": msg.from_.email if msg.from_ else "(none)", "to": buyers[0].email}
    for msg_id in referenced_ids(msg):
        thread_id = ctx.thread_ids.get(msg_id)
        if thread_id is not None:
            return Classification(
                label="rep_reply", evidence={**evidence, "answers": msg_id}, thread_id=thread_id
            )
    key = thread_key(msg.subject)
    if not key:
        return None
    for buyer in buyers:
        domain = buyer.email.rpartition("@")[2]
        thread_id = ctx.subject_threads.get((domain, key))
        if thread_id is not None:
            return Classification(
                label="rep_reply",
                evidence={**evidence, "matched": f"subject and domain {domain}"},
                thread_id=thread_id,
            )
    return None
