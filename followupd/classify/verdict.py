"""One JSON-ready record per classified file, for ``followupd classify``.

Without a database nothing is "tracked", so a message no detector claims is shown as
``reply`` when a person wrote it: it would count as the buyer's reply if it answered a tracked
thread. Machine mail nobody claims (newsletters, notifications, lists) stays ``other``.
"""

from __future__ import annotations

from dataclasses import replace

from followupd.classify.base import Classification
from followupd.classify.intent import reply_intent
from followupd.mail.parse import ParsedMessage

# Our own mail is "other" to the outside: it is never acted upon.
_PUBLIC = {"own": "other"}


def standalone(msg: ParsedMessage, verdict: Classification) -> Classification:
    """Without a database: unclaimed, person-written mail is a (potential) reply."""
    if verdict.label != "other" or verdict.evidence.get("reason") != "no detector claimed it":
        return verdict
    return replace(
        verdict,
        label="reply",
        intent=reply_intent(msg.text, msg.subject),
        evidence={**verdict.evidence, "reason": "written by a person; no tracked thread known"},
    )


def record(file: str, verdict: Classification, *, with_thread: bool) -> dict[str, object]:
    """The fields of one output line."""
    bounce = verdict.bounce
    out: dict[str, object] = {
        "file": file,
        "label": _PUBLIC.get(verdict.label, verdict.label),
        "hard": bounce.hard if bounce else None,
        "address": bounce.addresses[0] if bounce and bounce.addresses else None,
        "return_date": verdict.return_date.isoformat() if verdict.return_date else None,
        "intent": verdict.intent,
    }
    if with_thread:
        out["thread"] = verdict.thread_id
    out["evidence"] = dict(verdict.evidence)
    return out
