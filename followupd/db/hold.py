"""One daemon per mailbox: a hold taken at start and kept until the daemon ends.

Two daemons on one mailbox would both watch it, both draft and both resume each other's
unfinished sends after a restart: the at-most-once promise needs a single owner. The hold
ends with the process, however it ends (a SIGKILL included), so a crashed daemon never
blocks its successor:

* SQLite: an exclusive ``flock`` on ``<database file>.lock``; SQLite is the embedded store
  of one daemon, so the hold covers the whole file.
* PostgreSQL: a session advisory lock per mailbox, on a connection kept open for the
  daemon's life; the server drops it when that connection dies.

A second daemon does not start: it names the mailbox that is already run elsewhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from followupd.db.engine import Database
from followupd.errors import FollowupdError

__all__ = ["HeldElsewhere", "MailboxHold", "hold_mailboxes", "lock_key"]


class HeldElsewhere(FollowupdError):
    """Another running daemon holds a mailbox this one is configured for."""


def lock_key(mailbox: str) -> int:
    """A stable signed 64-bit advisory-lock key for a mailbox name."""
    digest = hashlib.sha256(f"followupd mailbox {mailbox}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class MailboxHold:
    """What a daemon holds; :meth:`release` gives it up (idempotent)."""

    def __init__(self, *, fd: int | None = None, conn: AsyncConnection | None = None) -> None:
        self._fd = fd
        self._conn = conn

    async def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the flock
            self._fd = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock_all()"))
            with contextlib.suppress(Exception):
                await conn.close()


async def hold_mailboxes(db: Database, names: list[str]) -> MailboxHold:
    """Take the hold on ``names`` or raise :class:`HeldElsewhere` holding nothing."""
    url = make_url(db.url)
    if url.get_backend_name() == "sqlite":
        return _hold_sqlite_file(url.database)
    conn = await db.engine.connect()
    hold = MailboxHold(conn=conn)
    try:
        # Autocommit: the lock belongs to the session, and no transaction stays open.
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for name in names:
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)})
            if not got:
                raise HeldElsewhere(
                    f"mailbox {name!r} is already run by another followupd daemon on this "
                    "database; stop that daemon first (two daemons on one mailbox would both "
                    "send)"
                )
    except BaseException:
        await hold.release()
        raise
    return hold


def _hold_sqlite_file(database: str | None) -> MailboxHold:
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return MailboxHold()  # private to this process: nothing to share
    lock = Path(f"{database}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HeldElsewhere(
            f"another followupd daemon is running on the database {database}; stop it first "
            "(two daemons on one mailbox would both send)"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    return MailboxHold(fd=fd)
