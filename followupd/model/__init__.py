"""The ORM models: the database is the truth of every thread, step and draft."""

from followupd.model.tables import (
    AwaitingOrigin,
    Base,
    Contact,
    Digest,
    Draft,
    Event,
    FolderCursor,
    KnownMessage,
    Mailbox,
    Message,
    Notice,
    Outbox,
    Quarantine,
    Step,
    Thread,
)

__all__ = [
    "AwaitingOrigin",
    "Base",
    "Contact",
    "Digest",
    "Draft",
    "Event",
    "FolderCursor",
    "KnownMessage",
    "Mailbox",
    "Message",
    "Notice",
    "Outbox",
    "Quarantine",
    "Step",
    "Thread",
]
