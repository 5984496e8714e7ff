"""The order in which detectors look at a message: the first one that claims it wins.

The order matters. Our own mail is ignored before anything else. Commands and enrollments
come next: they are recognised by the rep's own address together with our ids or plus
address, stronger evidence than headers a relay may add. Bounces and read receipts come
before the generic machine-mail check, which would otherwise claim them as auto-replies
(a bounce may even carry ``Auto-Submitted: auto-replied``) and lose their facts: the failed
address, the receipt's disposition. Machine mail is set aside before reply matching, so an
out-of-office answer on a tracked thread never counts as the buyer's reply.

Mail in the rep's Sent folder has its own, shorter order (:data:`SENT_DETECTORS`): it was
written by the rep, so it is never a bounce, a receipt or a buyer's reply. A command or an
enrollment may be read from there as well as from the inbox copy (whichever comes first; the
other copy is recognised by its Message-ID). Copies of tracked mail come before the rep's
own replies, so the enrolled mail itself never counts as the rep taking over.
"""

from __future__ import annotations

from dataclasses import replace

from followupd.classify.autoreply import detect_auto_reply
from followupd.classify.base import Classification, ClassifyContext, Detector
from followupd.classify.bounce import detect_bounce
from followupd.classify.command import detect_command
from followupd.classify.enrollment import detect_enrollment
from followupd.classify.mdn import detect_read_receipt
from followupd.classify.own import detect_own
from followupd.classify.reply import detect_reply
from followupd.classify.sent import detect_rep_reply, detect_tracked_copy
from followupd.mail.parse import ParsedMessage

__all__ = ["DETECTORS", "SENT_DETECTORS", "classify"]

DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("own", detect_own),
    ("command", detect_command),
    ("enrollment", detect_enrollment),
    ("bounce", detect_bounce),
    ("read_receipt", detect_read_receipt),
    ("auto_reply", detect_auto_reply),
    ("reply", detect_reply),
)

SENT_DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("own", detect_own),
    ("command", detect_command),
    ("enrollment", detect_enrollment),
    ("tracked_copy", detect_tracked_copy),
    ("rep_reply", detect_rep_reply),
)


def classify(
    msg: ParsedMessage,
    ctx: ClassifyContext,
    detectors: tuple[tuple[str, Detector], ...] = DETECTORS,
) -> Classification:
    """The verdict of the first detector in ``detectors`` that claims ``msg``."""
    for name, detect in detectors:
        verdict = detect(msg, ctx)
        if verdict is not None:
            return replace(verdict, evidence={"detector": name, **verdict.evidence})
    return Classification(
        label="other",
        evidence={"reason": "no detector claimed it", "message_id": msg.message_id or "(none)"},
    )
