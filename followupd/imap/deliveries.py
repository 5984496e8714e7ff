"""What the watcher thread hands to the daemon: fetched mail, cursor moves, index batches.

Plain frozen values, so they cross from the watcher's thread to the event loop safely.
"""

from __future__ import annotations

from dataclasses import dataclass

from followupd.imap.folders import Role
from followupd.imap.index import IndexRow

__all__ = ["Cursor", "CursorMoved", "Delivery", "Fetched", "Indexed"]


@dataclass(frozen=True, kw_only=True)
class Cursor:
    """How far a folder has been read."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """One message fetched from a watched folder."""

    folder: str
    uidvalidity: int
    uid: int
    raw: bytes
    # "sent" for the rep's own Sent folder: what is there was written by the rep.
    role: Role = "inbox"
    # True when the folder's UIDVALIDITY changed and the folder is being read again: the
    # consumer must then skip messages it already knows by Message-ID.
    resync: bool = False


@dataclass(frozen=True, kw_only=True)
class CursorMoved:
    """The folder's cursor was (re)set without a message: at first sight, or new UIDVALIDITY."""

    folder: str
    cursor: Cursor


@dataclass(frozen=True, kw_only=True)
class Indexed:
    """Header fields of mail that was already in a folder when followupd first saw it."""

    folder: str
    uidvalidity: int
    rows: tuple[IndexRow, ...]


Delivery = Fetched | CursorMoved | Indexed
