"""The ORM models: the database is the truth of every thread, step and draft."""

from followupd.model.tables import (
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
    Quarantine,
    Step,
    Thread,
)

__all__ = [
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
    "Quarantine",
    "Step",
    "Thread",
]
