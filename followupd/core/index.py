"""Storing the header index of a folder's existing mail, and asking it which ids it knows.

A first look at a folder brings tens of thousands of rows while the IMAP thread keeps fetching
in the same process, so every microsecond per row counts: rows go in as one bulk insert per
batch, without ORM objects. Rows already stored are skipped by the database (the unique key is
mailbox, folder, UIDVALIDITY and UID), which makes storing a batch again after a crash or a
reconnect harmless.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from followupd.db.engine import Database
from followupd.errors import DatabaseError
from followupd.imap.index import IndexRow
from followupd.model import KnownMessage

__all__ = ["known_message_ids", "store_index"]

_TABLE: Table = KnownMessage.__table__  # type: ignore[assignment]
# The order of the values in a row tuple.
_COLUMNS = (
    "mailbox_id",
    "folder",
    "uidvalidity",
    "uid",
    "message_id",
    "in_reply_to",
    "references",
    "from_addr",
    "subject",
    "sent_at",
    "utc_offset",
)
_IDS_PER_QUERY = 500
# 5,500 bound values a statement, well below SQLite's limit of 32,766.
_ROWS_PER_STATEMENT = 500


async def store_index(
    db: Database, *, mailbox_id: int, folder: str, uidvalidity: int, rows: Sequence[IndexRow]
) -> int:
    """Store ``rows`` of ``folder`` in one transaction; returns how many were new.

    Rows already present (same mailbox, folder, UIDVALIDITY and UID) are left as they are.
    """
    if not rows:
        return 0
    dialect = db.engine.dialect
    if dialect.name not in ("sqlite", "postgresql"):
        # The config only accepts these two stores; a third one would need its own insert.
        raise DatabaseError(f"the header index supports SQLite and PostgreSQL, not {dialect.name}")
    key = (mailbox_id, folder, uidvalidity)
    async with db.transaction() as session:
        conn = await session.connection()
        if dialect.name == "postgresql":
            # asyncpg's executemany reports the attempts, not the inserts; SQLAlchemy's
            # multi-row INSERT ... RETURNING names exactly the rows that went in.
            stmt = postgresql.insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id)
            params = [dict(zip(_COLUMNS, v, strict=True)) for v in _values(key, rows, None)]
            return len((await conn.execute(stmt, params)).all())
        values = _values(key, rows, _date_to_db(dialect))
        inserted = 0
        for start in range(0, len(values), _ROWS_PER_STATEMENT):
            chunk = values[start : start + _ROWS_PER_STATEMENT]
            flat = tuple(itertools.chain.from_iterable(chunk))
            result = await conn.exec_driver_sql(_sqlite_insert(dialect, len(chunk)), flat)
            inserted += result.rowcount
        return inserted


def _values(
    key: tuple[int, str, int],
    rows: Sequence[IndexRow],
    date_to_db: Callable[[datetime], Any] | None,
) -> list[tuple[Any, ...]]:
    """One tuple per row, in the order of ``_COLUMNS``."""
    return [
        (
            *key,
            row.uid,
            row.message_id,
            row.in_reply_to,
            row.references,
            row.from_addr,
            row.subject,
            date_to_db(row.date) if date_to_db is not None and row.date is not None else row.date,
            row.utc_offset_minutes,
        )
        for row in rows
    ]


# SQLite gets one multi-row INSERT per chunk, run on the driver with values converted here.
# Per-row parameter handling in SQLAlchemy would cost more than the insert itself, and the
# driver releases the GIL for a whole statement at once, so the IMAP thread in the same process
# keeps parsing meanwhile. The caches are small: a few statement sizes come up (full batches
# and a last one) and one or two dialects.


def _sqlite_insert(dialect: Dialect, rows: int) -> str:
    """INSERT ... VALUES (?, ...) x ``rows`` ... ON CONFLICT DO NOTHING."""
    return _repeat_values(_sqlite_insert_one(dialect), rows)


@functools.lru_cache(maxsize=4)
def _sqlite_insert_one(dialect: Dialect) -> str:
    compiled = (
        sqlite.insert(_TABLE)
        .on_conflict_do_nothing()
        .compile(dialect=dialect, column_keys=list(_COLUMNS))
    )
    if tuple(compiled.positiontup or ()) != _COLUMNS:
        raise RuntimeError(f"INSERT compiled with unexpected parameters {compiled.positiontup}")
    return compiled.string


@functools.lru_cache(maxsize=16)
def _repeat_values(one_row: str, rows: int) -> str:
    # SQLAlchemy needs about 0.1 ms a row to compile a multi-row VALUES; repeating the group
    # of the compiled one-row statement gives the same text at once.
    group = "(" + ", ".join(["?"] * len(_COLUMNS)) + ")"
    head, found, tail = one_row.partition(f" VALUES {group}")
    if not found:
        raise RuntimeError(f"unexpected INSERT statement: {one_row}")
    return f"{head} VALUES {', '.join([group] * rows)}{tail}"


@functools.lru_cache(maxsize=4)
def _date_to_db(dialect: Dialect) -> Callable[[datetime], Any] | None:
    # The column type's own conversion, so that these rows read back like any other.
    convert: Callable[[datetime], Any] | None = _TABLE.c.sent_at.type.dialect_impl(
        dialect
    ).bind_processor(dialect)
    return convert


async def known_message_ids(db: Database, mailbox_id: int, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that the index of ``mailbox_id`` holds, in any folder."""
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    if not wanted:
        return found
    async with db.transaction() as session:
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start : start + _IDS_PER_QUERY]
            result = await session.execute(
                select(KnownMessage.message_id)
                .where(KnownMessage.mailbox_id == mailbox_id)
                .where(KnownMessage.message_id.in_(chunk))
                .distinct()
            )
            found.update(mid for mid in result.scalars() if mid is not None)
    return found
