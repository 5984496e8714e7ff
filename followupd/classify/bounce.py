"""Non-delivery reports: which addresses failed, and whether for good.

Three sources of evidence, strongest first:

1. an RFC 3464 delivery-status part: ``Action`` and ``Status`` per recipient;
2. flufl.bounce's reading of non-standard bounces (Exchange, qmail, Postfix, SMTP32 ...),
   trusted only on mail that comes from a mail system rather than a person;
3. the sender and subject that mail systems use, for bounces nobody can parse.

A hard bounce ends the thread and suppresses the address, so "hard" needs a permanent
failure that is not a full mailbox: servers report full mailboxes with permanent codes
(5.2.2), but the mailbox usually works again within days.
"""

from __future__ import annotations

import re
from dataclasses import replace

from followupd.classify.base import BounceFacts, Classification, ClassifyContext, referenced_ids
from followupd.mail.parse import ParsedMessage
from followupd.mail.report import RecipientStatus, Report

__all__ = ["detect_bounce"]

_POSITIVE_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?:^|[\s;])([245])\d\d[\s-]")
_FULL_MAILBOX = re.compile(
    r"\b(?:over\s+quota|quota(?:\s+exceeded)?|mailbox\s+(?:is\s+)?full|exceeded\s+storage"
    r"|insufficient\s+storage|mailbox\s+exceeds|exceeds\s+allowed\s+size|mailbox\s+size\s+limit"
    r"|disk\s+quota|storage\s+(?:space\s+)?exceeded)\b",
    re.IGNORECASE,
)
# Delay warnings say the server is still trying; nothing has failed for good yet.
_DELAYED = re.compile(
    r"\b(?:delayed|delay|still\s+being\s+retried|will\s+(?:continue\s+to\s+)?retry"
    r"|could\s+not\s+send\s+message\s+for\s+past|temporary\s+failure)\b",
    re.IGNORECASE,
)
# Of those, the ones that say the sending server has not given up yet.
_STILL_TRYING = re.compile(
    r"\b(?:delayed|delay|still\s+being\s+retried|will\s+(?:continue\s+to\s+)?retry"
    r"|could\s+not\s+send\s+message\s+for\s+past)\b",
    re.IGNORECASE,
)
_DAEMON_ADDRESS = re.compile(
    r"^(?:mailer-?daemon|mail-?daemon|postmaster|mail\.delivery)@", re.IGNORECASE
)
_DAEMON_NAME = re.compile(
    r"^mail\s+delivery\s+(?:subsystem|system|service)$|^mailer[\s-]?daemon$", re.IGNORECASE
)
# Anchored at the start, so that "Re:" or "Fwd:" in front (a person discussing a bounce)
# does not match.
_BOUNCE_SUBJECT = re.compile(
    r"^(?:undelivered\s+mail|undeliverable\b|undeliverable\s+mail|delivery\s+status\s+"
    r"notification|failure\s+notice|returned\s+mail|mail\s+delivery\s+(?:failed|failure)"
    r"|delivery\s+failure|non-?delivery|delayed\s+mail|warning:\s+could\s+not\s+send"
    r"|mail\s+system\s+error|系统退信|退信)",
    re.IGNORECASE,
)
# Where a plain-text bounce starts quoting the returned message: phrases below it are the
# sender's own words (a quotation may well mention a "quota"), not the server's.
_RETURNED_MARKER = re.compile(
    r"^[\s\-=*_]*(?:this\s+is\s+a\s+)?(?:original\s+message|copy\s+of\s+the\s+message"
    r"|below\s+this\s+line|returned\s+message|headers\s+of\s+(?:the|your)\s+message"
    r"|undelivered\s+message|message\s+follows)",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)


def detect_bounce(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "bounce" with :class:`BounceFacts` for a failed or delayed delivery, else ``None``.

    Positive delivery reports and read receipts are left to the later detectors.
    """
    report = msg.report
    if report is not None and report.disposition is not None and report.delivery is None:
        return None
    if report is not None and _positive_only(report):
        return None
    verdict = _from_dsn(report) if report is not None else None
    if verdict is None and report is not None and _machine_sender(msg, report):
        verdict = _from_flufl(report, msg)
    if verdict is None:
        verdict = _from_phrases(msg, report)
    if verdict is None:
        return None
    facts, evidence = verdict
    if facts.original_message_id is None:
        # Plain-text bounces quote the returned message's headers inline, not attached.
        quoted = _QUOTED_MESSAGE_ID.search(msg.text)
        facts = replace(facts, original_message_id=quoted.group(1) if quoted else None)
    thread_id = _thread(msg, ctx, facts.original_message_id, evidence)
    evidence["hard"] = "yes" if facts.hard else "no"
    if facts.delayed:
        evidence["delayed"] = "yes"
    return Classification(label="bounce", evidence=evidence, bounce=facts, thread_id=thread_id)


_Verdict = tuple[BounceFacts, dict[str, str]]


def _positive_only(report: Report) -> bool:
    # "Delivered" or "relayed" reports (requested with NOTIFY=SUCCESS) are good news.
    recipients = report.delivery or ()
    positive = any(r.action in _POSITIVE_ACTIONS or _status_class(r) == "2" for r in recipients)
    return positive and not any(_failed(r) for r in recipients)


def _from_dsn(report: Report) -> _Verdict | None:
    recipients = report.delivery or ()
    failed = [r for r in recipients if _failed(r)]
    if not failed:
        return None
    hard = [r for r in failed if _hard(r)]
    # A report about several recipients may mix a full mailbox with an unknown user; the
    # verdict is hard, and names only the addresses that failed for good.
    chosen = hard or failed
    first = chosen[0]
    addresses = tuple(dict.fromkeys(a for r in chosen if (a := _recipient(r))))
    facts = BounceFacts(
        hard=bool(hard),
        addresses=addresses,
        status=_status(first),
        diagnostic=first.diagnostic,
        original_message_id=report.original_message_id,
        delayed=not hard and all(r.action == "delayed" for r in chosen),
    )
    evidence = {"check": "dsn", "action": first.action or "(none)"}
    evidence["status"] = facts.status or "(none)"
    if hard and len(hard) < len(failed):
        evidence["soft_recipients"] = str(len(failed) - len(hard))
    return facts, evidence


def _from_flufl(report: Report, msg: ParsedMessage) -> _Verdict | None:
    if not (report.permanent or report.temporary):
        return None
    notice = _notice(msg)
    hard = bool(report.permanent) and not _FULL_MAILBOX.search(notice)
    found = report.permanent if report.permanent else report.temporary
    facts = BounceFacts(
        hard=hard, addresses=tuple(sorted(found)), original_message_id=report.original_message_id
    )
    kind = "permanent" if report.permanent else "temporary"
    return facts, {"check": "flufl.bounce", "failure": kind}


def _from_phrases(msg: ParsedMessage, report: Report | None) -> _Verdict | None:
    subject = _BOUNCE_SUBJECT.search(msg.subject)
    sender = _daemon(msg)
    is_dsn = report is not None and report.report_type == "delivery-status"
    # One sign alone is weak (a person's subject may read "Returned mail"); two, or a
    # delivery report without readable status, make a bounce.
    if (subject is not None) + (sender is not None) + is_dsn < 2:
        return None
    text = msg.subject + "\n" + _notice(msg)
    hard = not (_FULL_MAILBOX.search(text) or _DELAYED.search(text))
    original = report.original_message_id if report is not None else None
    delayed = not hard and not _FULL_MAILBOX.search(text) and bool(_STILL_TRYING.search(text))
    facts = BounceFacts(hard=hard, addresses=(), original_message_id=original, delayed=delayed)
    evidence = {"check": "phrases", "subject": msg.subject[:80]}
    if sender is not None:
        evidence["sender"] = sender
    return facts, evidence


def _failed(r: RecipientStatus) -> bool:
    if r.action in _POSITIVE_ACTIONS:
        return False
    return r.action in ("failed", "delayed") or _status_class(r) in ("4", "5")


def _hard(r: RecipientStatus) -> bool:
    if r.action == "delayed" or _status_class(r) == "4":
        return False
    status = _status(r) or ""
    if status == "5.2.2" or _FULL_MAILBOX.search(r.diagnostic or ""):
        return False
    return r.action == "failed" or _status_class(r) == "5"


def _status(r: RecipientStatus) -> str | None:
    for text in (r.status, r.diagnostic):
        found = _STATUS.search(text or "")
        if found:
            return ".".join(found.groups())
    return None


def _status_class(r: RecipientStatus) -> str | None:
    status = _status(r)
    if status is not None:
        return status[0]
    # Some servers give only the SMTP reply ("550 No such user") without an enhanced code.
    code = _SMTP_CODE.search(r.diagnostic or "")
    return code.group(1) if code else None


def _recipient(r: RecipientStatus) -> str | None:
    return r.original_recipient or r.final_recipient


def _daemon(msg: ParsedMessage) -> str | None:
    for address in (msg.from_, msg.sender):
        if address is not None and (
            _DAEMON_ADDRESS.match(address.email) or _DAEMON_NAME.match(address.name.strip())
        ):
            return address.email
    return None


def _machine_sender(msg: ParsedMessage, report: Report) -> bool:
    # flufl.bounce's heuristics also fire on a person quoting a bounce; only trust them on
    # mail sent with an empty envelope sender, by a mail system, or as a report.
    null_path = msg.auto_headers.get("return-path", "x").replace(" ", "") == "<>"
    subject = _BOUNCE_SUBJECT.search(msg.subject) is not None
    return null_path or subject or bool(report.report_type) or _daemon(msg) is not None


def _notice(msg: ParsedMessage) -> str:
    """The mail system's own words: the text above the returned message, if marked."""
    marker = _RETURNED_MARKER.search(msg.text)
    return msg.text[: marker.start()] if marker else msg.text[:4000]


def _thread(
    msg: ParsedMessage, ctx: ClassifyContext, original: str | None, evidence: dict[str, str]
) -> int | None:
    if original is not None:
        evidence["original_message_id"] = original
        if original in ctx.thread_ids:
            return ctx.thread_ids[original]
    # Some servers put the bounced message's id in In-Reply-To instead of attaching it.
    for ref in referenced_ids(msg):
        if ref in ctx.thread_ids:
            evidence["answers"] = ref
            return ctx.thread_ids[ref]
    return None
