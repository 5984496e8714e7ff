"""Engine, sessions and the one ``transaction()`` everyone uses."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from followupd.errors import DatabaseError


def _sqlite_problem(url: str) -> str | None:
    """Why the SQLite file of ``url`` cannot be opened, found before any driver thread starts.

    aiosqlite reports a failed open from its own thread; checking first gives one clear
    message and no thread left behind.
    """
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    parent = Path(path).expanduser().parent
    if not parent.is_dir():
        return f"unable to open database file: directory {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"unable to open database file: directory {parent} is not writable"
    return None


def make_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        problem = _sqlite_problem(url)
        if problem:
            raise DatabaseError(f"cannot use the database {url}: {problem}")
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the CLI read while the daemon writes; synchronous=FULL makes a commit
            # durable before we go on to talk SMTP.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


class Database:
    """The store: an engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed at the end of the block, or rolled back."""
        async with self._sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
