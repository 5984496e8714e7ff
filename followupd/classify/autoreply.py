"""Machine mail recognised by its headers or an autoresponder's words: never a buyer's reply.

Each check is a named function in :data:`CHECKS`. Header checks come first (RFC 3834 and
vendor headers); the phrase checks after them catch Exchange and Outlook.com out-of-office
mail, which often carries no such header at all (phrases in :mod:`.ooo_phrases`). When the
notice says when its sender is back, that day is read into ``return_date``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from followupd.approval.commands import strip_quoted
from followupd.classify.base import Classification, ClassifyContext
from followupd.classify.ooo_phrases import (
    BODY_PHRASES,
    EXPLICIT_NOTICES,
    REPLY_PREFIX,
    SUBJECT_PHRASES,
    Phrase,
)
from followupd.classify.returndate import return_date
from followupd.mail.parse import ParsedMessage

__all__ = ["CHECKS", "detect_auto_reply"]

# A check returns (header name, value) when it sees machine mail; both go into the evidence.
Check = Callable[[ParsedMessage], tuple[str, str] | None]

_MACHINE_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})


def _header(msg: ParsedMessage, name: str) -> str | None:
    value = msg.auto_headers.get(name)
    return None if value is None else " ".join(value.split())


def _auto_submitted(msg: ParsedMessage) -> tuple[str, str] | None:
    # RFC 3834 §5: any value but "no" (parameters after ";" may follow) marks machine mail.
    value = _header(msg, "auto-submitted")
    if value is None or value.split(";")[0].strip().lower() in ("", "no"):
        return None
    return "auto-submitted", value[:80]


def _present(name: str) -> Check:
    def check(msg: ParsedMessage) -> tuple[str, str] | None:
        value = _header(msg, name)
        return None if value is None else (name, value[:80] or "(present)")

    return check


def _precedence(msg: ParsedMessage) -> tuple[str, str] | None:
    value = _header(msg, "precedence")
    if value is None or value.lower() not in _MACHINE_PRECEDENCE:
        return None
    return "precedence", value


def _apple_vacation(msg: ParsedMessage) -> tuple[str, str] | None:
    # iCloud vacation replies carry no RFC 3834 header, only this vendor header.
    value = _header(msg, "x-apple-action")
    return ("x-apple-action", value) if value and value.upper() == "VACATION" else None


def _report(msg: ParsedMessage) -> tuple[str, str] | None:
    # Delivery reports and read receipts (RFC 6522) are never written by a person.
    return ("content-type", msg.content_type) if msg.content_type == "multipart/report" else None


def _null_return_path(msg: ParsedMessage) -> tuple[str, str] | None:
    # An empty envelope sender is what RFC 5321 prescribes for notifications and bounces.
    value = _header(msg, "return-path")
    return ("return-path", "<>") if value is not None and value.replace(" ", "") == "<>" else None


_NO_REPLY = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|notifications?|mailer-daemon|postmaster)"
    r"(?:[+._-][^@]*)?@",
    re.IGNORECASE,
)
_GENERATED_SUBJECT = re.compile(r"^\s*[\[(]\s*auto(?:matically)?[ -]?generated\s*[\])]", re.I)


def _no_reply_sender(msg: ParsedMessage) -> tuple[str, str] | None:
    # Notifications sent from an address nobody reads carry no header that says so.
    sender = msg.from_.email if msg.from_ else ""
    return ("from", sender) if _NO_REPLY.match(sender) else None


def _generated_subject(msg: ParsedMessage) -> tuple[str, str] | None:
    match = _GENERATED_SUBJECT.match(msg.subject)
    return ("subject_tag", match.group(0).strip()) if match else None


# An autoresponder puts its notice first; a person's mail mentioning an absence further
# down, or in a long message, is a person's mail.
_TOP_LINES = 3
_SHORT = 1500
# Body phrases of the "until"/"back on" kind are not trusted in mail that quotes an earlier
# message: people answer on top of a quote, out-of-office notices almost never do.
_QUOTES = re.compile(
    r"^\s*>|^\s*(?:from|von|de|van|da|от|发件人|寄件者|差出人)\s*[:：]"
    r"|(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|yazdı|написал\w*"
    r"|写道|書きました)\s*[:：]?\s*$|-{2,}\s*(?:original message|原始邮件)",
    re.IGNORECASE | re.MULTILINE,
)


def _first_hit(phrases: tuple[Phrase, ...], text: str) -> tuple[str, str, str] | None:
    for name, lang, pattern in phrases:
        match = pattern.search(text)
        if match is not None:
            return name, lang, " ".join(match.group(0).split())[:60]
    return None


def _subject_phrase(msg: ParsedMessage) -> tuple[str, str] | None:
    subject = " ".join(msg.subject.split())
    found = _first_hit(SUBJECT_PHRASES, subject)
    if found is None:
        return None
    name, lang, matched = found
    # After "Re:" the words are someone else's subject; only the AOL suffix form survives.
    if REPLY_PREFIX.match(subject) and name != "suffix":
        return None
    return "subject_phrase", f"{lang}/{name}: {matched}"


def _body_phrase(msg: ParsedMessage) -> tuple[str, str] | None:
    new = strip_quoted(msg.text)
    if len(new) > _SHORT:
        return None
    top = "\n".join([line for line in new.split("\n") if line.strip()][:_TOP_LINES])
    found = _first_hit(BODY_PHRASES, top)
    if found is None:
        return None
    name, lang, matched = found
    if name not in EXPLICIT_NOTICES and _QUOTES.search(msg.text):
        return None
    return "body_phrase", f"{lang}/{name}: {matched}"


# X-Auto-Response-Suppress is deliberately absent: it asks others not to auto-reply to
# this message and says nothing about who wrote it.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("auto_submitted", _auto_submitted),
    ("x_autoreply", _present("x-autoreply")),
    ("x_autorespond", _present("x-autorespond")),
    ("precedence", _precedence),
    ("list_id", _present("list-id")),
    ("apple_vacation", _apple_vacation),
    ("report", _report),
    ("null_return_path", _null_return_path),
    ("no_reply_sender", _no_reply_sender),
    ("generated_subject", _generated_subject),
    ("subject_phrase", _subject_phrase),
    ("body_phrase", _body_phrase),
)


# Checks that show an autoresponder answering a message (out-of-office, vacation,
# acknowledgement). The others (lists, bulk, notifications, reports, empty return path) show
# machine mail that answers nothing: it is "other", never a reply and never a pause.
_RESPONDER_EVIDENCE = frozenset(
    {"x-autoreply", "x-autorespond", "x-apple-action", "subject_phrase", "body_phrase"}
)


def _responder(evidence: dict[str, str]) -> bool:
    # A report (a positive DSN, a TLS report) may say auto-replied, but it is no notice of
    # absence; bounces and receipts were claimed by their own detectors before this one.
    if "content-type" in evidence:
        return False
    if _RESPONDER_EVIDENCE & evidence.keys():
        return True
    submitted = evidence.get("auto-submitted", "").split(";")[0].strip().lower()
    precedence = evidence.get("precedence", "").lower()
    return submitted == "auto-replied" or precedence == "auto_reply"


def detect_auto_reply(msg: ParsedMessage, ctx: ClassifyContext) -> Classification | None:
    """ "auto_reply" for an autoresponder's notice, "other" for other machine mail.

    Either way the message is claimed, so it never counts as a buyer's reply; evidence names
    every check that matched.

    ``return_date`` is set when the notice states one; list mail and delivery reports are
    not personal notices, so their dates ("offer valid until ...") are not read.
    """
    evidence: dict[str, str] = {}
    for _name, check in CHECKS:
        found = check(msg)
        if found is not None:
            evidence[found[0]] = found[1]
    if not evidence:
        return None
    if not _responder(evidence):
        return Classification(label="other", evidence={"machine": "yes", **evidence})
    back = None
    if "list-id" not in evidence and "content-type" not in evidence:
        back = return_date(msg.text, msg.subject, received=msg.date)
    if back is not None:
        evidence["return_date"] = back.isoformat()
    return Classification(label="auto_reply", evidence=evidence, return_date=back)
