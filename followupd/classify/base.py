"""Values shared by the detectors: what the classifier knows, and what it concludes.

Each detector is a pure function ``(ParsedMessage, ClassifyContext) -> Classification |
None``; ``None`` means "not mine, ask the next one". The order lives in
:mod:`followupd.classify.pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal, TypeGuard

from followupd.approval.origin import OriginEvidence
from followupd.mail.parse import Address, ParsedMessage

__all__ = [
    "BounceFacts",
    "Classification",
    "ClassifyContext",
    "Detector",
    "Enrollment",
    "Intent",
    "Label",
    "ReceiptFacts",
    "is_rep",
    "referenced_ids",
]

# "other" is everything no detector claims (newsletters, notifications, unrelated mail):
# recorded, never acted upon.
# "rep_reply" only comes from the rep's Sent folder: the rep answered a tracked thread by hand.
Label = Literal[
    "own",
    "command",
    "enrollment",
    "bounce",
    "read_receipt",
    "auto_reply",
    "reply",
    "rep_reply",
    "other",
]
# What a buyer's reply says, for the rep's notification and the suggested next step.
Intent = Literal["interested", "comparing", "later", "price", "unsubscribe"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassifyContext:
    """What the classifier needs to know about the rep and the tracked mail.

    ``review_ids`` maps Message-IDs of review mails we sent to their draft id;
    ``notice_ids`` maps Message-IDs of notices about a thread we sent the rep to their id;
    ``digest_ids`` maps Message-IDs of daily digests of drafts to their id;
    ``thread_ids`` maps Message-IDs of tracked threads (root mails and our follow-ups) to
    the thread id. Ids are stored without angle brackets; addresses are lower-cased here.
    """

    rep_addresses: frozenset[str]
    plus_tag: str = "fu"
    review_ids: Mapping[str, int] = field(default_factory=dict)
    notice_ids: Mapping[str, int] = field(default_factory=dict)
    digest_ids: Mapping[str, int] = field(default_factory=dict)
    thread_ids: Mapping[str, int] = field(default_factory=dict)
    known_cadences: frozenset[str] = frozenset()
    # (buyer domain, subject thread key) -> thread id, for the sender's domain: replies whose
    # client dropped In-Reply-To/References are matched by these.
    subject_threads: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.plus_tag or "+" in self.plus_tag or "@" in self.plus_tag:
            raise ValueError(f"plus_tag must be a plain word, got {self.plus_tag!r}")
        # Addresses compare case-insensitively everywhere; normalising once here keeps
        # every detector from having to remember it.
        object.__setattr__(self, "rep_addresses", frozenset(a.lower() for a in self.rep_addresses))
        object.__setattr__(self, "plus_tag", self.plus_tag.lower())
        object.__setattr__(
            self, "known_cadences", frozenset(c.lower() for c in self.known_cadences)
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Enrollment:
    """A rep's request to follow up a thread, read from a plus address among the recipients.

    ``cadence`` is ``None`` for the default cadence; ``buyer`` is ``None`` when the mail has
    no recipient besides the rep, so the service can tell the rep what went wrong.
    """

    cadence: str | None
    cadence_known: bool
    buyer: Address | None
    root_message_id: str | None
    subject: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BounceFacts:
    """A non-delivery report: which addresses failed, and whether for good.

    ``hard`` is True for permanent failures (unknown user or domain, policy rejection) and
    False for transient ones (mailbox full, delays); ``status`` and ``diagnostic`` are the DSN
    fields when the report has them. ``original_message_id`` is the id of the mail that
    bounced, when the report quotes it. ``delayed`` is True for a warning that the sending
    server is still trying: the mail may yet arrive, so it must not be sent again.
    """

    hard: bool
    addresses: tuple[str, ...]
    status: str | None = None
    diagnostic: str | None = None
    original_message_id: str | None = None
    delayed: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiptFacts:
    """A read receipt (RFC 8098 MDN): which message was shown, and how."""

    original_message_id: str | None
    disposition: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Classification:
    """The verdict on one message, with the facts that led to it (for the audit log)."""

    label: Label
    evidence: Mapping[str, str]
    draft_id: int | None = None
    # A command answering a notice (not a review mail): the notice's id.
    notice_id: int | None = None
    # A command answering a daily digest of drafts: the digest's id.
    digest_id: int | None = None
    thread_id: int | None = None
    enrollment: Enrollment | None = None
    bounce: BounceFacts | None = None
    receipt: ReceiptFacts | None = None
    # Out-of-office: the day the buyer says they are back, when stated.
    return_date: date | None = None
    intent: Intent | None = None
    # A command: the proofs of its origin gathered so far (DKIM, Authentication-Results,
    # Sent folder); set by the daemon after classification, which needs no I/O.
    origin: OriginEvidence | None = None

    def __post_init__(self) -> None:
        # The verdict is recorded as it was reached; nobody may add to its evidence later.
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))


Detector = Callable[[ParsedMessage, ClassifyContext], Classification | None]


def is_rep(address: Address | None, ctx: ClassifyContext) -> TypeGuard[Address]:
    """Whether ``address`` is one of the rep's own addresses."""
    return address is not None and address.email in ctx.rep_addresses


def referenced_ids(msg: ParsedMessage) -> Iterator[str]:
    """The ids ``msg`` answers, nearest first: In-Reply-To, then References newest first."""
    yield from msg.in_reply_to
    yield from reversed(msg.references)
