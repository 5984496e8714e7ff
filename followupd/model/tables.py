"""Tables of followupd.

A thread is one tracked buyer conversation, started by the rep's enrolled mail. A step is one
planned touch of its cadence; a draft is the rendered mail of an e-mail step awaiting the rep's
decision. Every state change is also written to ``event`` with its cause (the audit log).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from followupd.model.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Mailbox(Base):
    """A rep's mailbox, as named in the config."""

    __tablename__ = "mailbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    rep_address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The provider said "too many, too fast": no follow-up leaves this mailbox before this.
    send_hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Throttling replies in a row; each one doubles the hold. An accepted send resets it.
    throttle_strikes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FolderCursor(Base):
    """How far each watched folder has been read (IMAP UID), per UIDVALIDITY."""

    __tablename__ = "folder_cursor"
    __table_args__ = (UniqueConstraint("mailbox_id", "folder"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)


class Contact(Base):
    """A buyer address; its domain is the buyer company."""

    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(255), index=True)
    company: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # How the zone was found (contact, learned, country, phone, cctld, default) and why; the
    # country it implies, for holidays and as the language's fallback.
    timezone_source: Mapped[str | None] = mapped_column(String(16))
    timezone_detail: Mapped[str | None] = mapped_column(Text)
    zone_country: Mapped[str | None] = mapped_column(String(2))
    # The buyer's own working hours ("08:00-16:30", local), set by the rep; None: configured.
    work_hours: Mapped[str | None] = mapped_column(String(11))
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the address is suppressed ("hard bounce", "asked to be removed"), for the rep.
    suppressed_reason: Mapped[str | None] = mapped_column(Text)
    soft_bounces: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The language the buyer writes in (ISO 639-1) and how it is known: "buyer" (their own
    # mails), "thread" (the rep's mail to them), "rep" (set by the rep).
    language: Mapped[str | None] = mapped_column(String(8))
    language_source: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Thread(Base):
    """One tracked conversation with a buyer."""

    __tablename__ = "thread"
    __table_args__ = (UniqueConstraint("mailbox_id", "root_message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"))
    root_message_id: Mapped[str] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text)
    cadence: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    # Steps done in the current cadence; steps of earlier cadences (a thread switched to
    # after-payment by "paid") are numbered below ``step_base``.
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    step_base: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_touch_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_ref: Mapped[str | None] = mapped_column(String(128))
    # The trade context: read from the enrolled mail, corrected by the rep with `set`.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    validity: Mapped[date | None] = mapped_column(Date)
    incoterm: Mapped[str | None] = mapped_column(String(128))
    payment_terms: Mapped[str | None] = mapped_column(String(300))
    shipment_date: Mapped[date | None] = mapped_column(Date)
    lead_time: Mapped[str | None] = mapped_column(String(200))
    # JSON list of product names or model numbers the buyer is interested in.
    products: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[str | None] = mapped_column(String(16))
    # The trade show where the buyer was met; the sample's shipment.
    event: Mapped[str | None] = mapped_column(String(200))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    # The rep's own notes: never rendered into buyer-visible text.
    notes: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    """A message seen in a watched folder, or one followupd sent; with its label and evidence."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "folder", "uidvalidity", "uid"),
        Index("ix_message_message_id", "message_id"),
        Index("ix_message_from_addr", "from_addr"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id"))
    message_id: Mapped[str | None] = mapped_column(String(998))
    folder: Mapped[str | None] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(3))
    label: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The sender and the Date header (as UTC, and its offset in minutes east of UTC).
    from_addr: Mapped[str | None] = mapped_column(String(320))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    utc_offset: Mapped[int | None] = mapped_column(Integer)


class Step(Base):
    """One touch of a thread's cadence (an e-mail to the buyer or a task for the rep)."""

    __tablename__ = "step"
    __table_args__ = (UniqueConstraint("thread_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the buyer's read receipt for this follow-up arrived ("read, no reply").
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Outbox(Base):
    """One follow-up on its way to the buyer: the transactional outbox of a step.

    ``raw`` holds the exact bytes that go over SMTP (and into Sent). ``state`` moves
    planned → claimed → transmitting → committing → accepted → recorded, or to failed with
    ``reason``; see :mod:`followupd.core.outbox` for what each state proves after a crash.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"), unique=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # SMTP transactions begun (each one after a fresh look for a reply).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Which running daemon holds it (several may share a PostgreSQL store).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    server_reply: Mapped[str | None] = mapped_column(Text)
    # When followupd filed the copy in Sent itself (providers that do not).
    appended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Draft(Base):
    """The rendered mail of a step and the rep's decision on it."""

    __tablename__ = "draft"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    review_message_id: Mapped[str] = mapped_column(String(998), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    review_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the rep replaced the text with their own edit (the edit is what is sent).
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The approval policy it was made under: manual, auto or unless-objected:<N>h.
    policy: Mapped[str | None] = mapped_column(String(32))
    # The daily digest that listed it, and its number there ("approve 1 3").
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digest.id"), index=True)
    digest_number: Mapped[int | None] = mapped_column(Integer)


class Digest(Base):
    """A daily digest mail listing a rep's pending drafts; its ``FD-`` token works once."""

    __tablename__ = "digest"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AwaitingOrigin(Base):
    """A rep's command whose only possible proof of origin is its copy in the rep's Sent
    folder, which the client had not saved yet; kept until it is decided, across restarts."""

    __tablename__ = "awaiting_origin"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    message_id: Mapped[str] = mapped_column(String(998), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    since: Mapped[datetime] = mapped_column(UTCDateTime())


class Notice(Base):
    """A mail followupd sent the rep about a thread; the rep may answer it with a command.

    Its token (``FN-<id>-<nonce>-<signature>``) works once, and only for a while
    (``followupd.approval.auth.NOTICE_TTL``).
    """

    __tablename__ = "notice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Event(Base):
    """Audit log: every transition and decision, with its cause."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id"), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailbox.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(Text)


class Quarantine(Base):
    """A message that could not be handled, kept with the reason (it also stays in the mailbox)."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("mailbox_id", "folder", "uidvalidity", "uid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnownMessage(Base):
    """A message that was already in a watched folder when followupd first looked (its headers).

    Never acted upon: kept to recognise messages by Message-ID after a UIDVALIDITY change, for
    thread history, and for the UTC offsets buyers write in their Date headers.
    """

    __tablename__ = "known_message"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "folder", "uidvalidity", "uid"),
        Index("ix_known_message_message_id", "message_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailbox.id"))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    from_addr: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Minutes east of UTC in the sender's Date header; None when it did not say.
    utc_offset: Mapped[int | None] = mapped_column(Integer)
