"""Enrollment by plus address: the rep copies ``rep+fu@…`` or ``rep+fu-<cadence>@…``.

The plus address may show up in To, Cc or Bcc (in the rep's Sent copy) or only in the
delivery headers (the BCC copy delivered back to the rep's inbox).
"""

from __future__ import annotations

from followupd.classify.base import Classification, ClassifyContext, Enrollment, is_rep
from followupd.mail.parse import Address, ParsedMessage

__all__ = ["detect_enrollment", "plus_cadence"]


def plus_cadence(email: str, ctx: ClassifyContext) -> tuple[bool, str | None]:
    """``(True, cadence)`` when ``email`` is an enrollment plus address of a rep address.

    ``cadence`` is ``None`` for the bare ``+<tag>`` form (the default cadence).
    """
    local, at, domain = email.lower().rpartition("@")
    base, plus, tag = local.partition("+")
    if not at or not plus or f"{base}@{domain}" not in ctx.rep_addresses:
        return False, None
    if tag == ctx.plus_tag:
        return True, None
    prefix = f"{ctx.plus_tag}-"
    if tag.startswith(prefix) and len(tag) > len(prefix):
        return True, tag[len(prefix) :]
    return False, None


def detect_enrollment(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "enrollment" when a rep's own mail is also addressed to a plus address of theirs."""
    sender = msg.from_
    if not is_rep(sender, ctx):
        return None
    recipients = (*msg.to, *msg.cc, *msg.bcc, *msg.delivered_to)
    for recipient in recipients:
        matched, cadence = plus_cadence(recipient.email, ctx)
        if matched:
            break
    else:
        return None
    buyer = _buyer(msg, ctx)
    known = cadence is None or cadence in ctx.known_cadences
    evidence = {"from": sender.email, "plus_address": recipient.email}
    evidence["cadence"] = cadence or "(default)"
    if not known:
        evidence["cadence_problem"] = "unknown cadence"
    evidence["buyer"] = buyer.email if buyer else "none: no recipient besides the rep"
    enrollment = Enrollment(
        cadence=cadence,
        cadence_known=known,
        buyer=buyer,
        root_message_id=msg.message_id,
        subject=msg.subject,
    )
    return Classification(label="enrollment", evidence=evidence, enrollment=enrollment)


def _buyer(msg: ParsedMessage, ctx: ClassifyContext) -> Address | None:
    # The buyer is whom the rep wrote to; colleagues in Cc come after the To recipients.
    for candidate in (*msg.to, *msg.cc):
        if candidate.email in ctx.rep_addresses or plus_cadence(candidate.email, ctx)[0]:
            continue
        return candidate
    return None
