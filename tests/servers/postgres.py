"""Fresh PostgreSQL databases for the "postgres" test tier.

Each test that needs PostgreSQL gets a database of its own, created from the
admin URL in ``FOLLOWUPD_TEST_PG_URL`` and dropped afterwards, so tests never
see each other's rows and can run migrations from scratch.
"""

from __future__ import annotations

import os
import re
import uuid

import asyncpg
from sqlalchemy.engine import URL, make_url

__all__ = ["PG_URL_ENV", "create_database", "drop_database", "pg_admin_url"]

PG_URL_ENV = "FOLLOWUPD_TEST_PG_URL"

_TIMEOUT = 10.0
_NAME_PREFIX = "followupd_test_"
# Only names we generate ourselves are ever created or dropped; the pattern is
# also what makes interpolating the name into SQL safe.
_NAME_RE = re.compile(r"^followupd_test_[0-9a-f]{16}$")


def pg_admin_url() -> str | None:
    """The admin SQLAlchemy URL from the environment, or None when unset.

    Example: ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``.
    """
    value = os.environ.get(PG_URL_ENV, "").strip()
    return value or None


async def _connect(url: URL, database: str | None = None) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=database or url.database or "postgres",
        timeout=_TIMEOUT,
    )


async def create_database(admin_url: str) -> str:
    """Create a uniquely named, empty database and return its SQLAlchemy URL."""
    admin = make_url(admin_url)
    name = f"{_NAME_PREFIX}{uuid.uuid4().hex[:16]}"
    conn = await _connect(admin)
    try:
        # CREATE DATABASE cannot take a bind parameter; the name is ours.
        await conn.execute(f'CREATE DATABASE "{name}"', timeout=_TIMEOUT)
    finally:
        await conn.close(timeout=_TIMEOUT)
    return admin.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    """Drop a database made by ``create_database``, ending its sessions first.

    A test that leaks a connection (an engine never disposed) must not make
    the drop hang or fail, hence the terminate step.
    """
    target = make_url(url)
    name = target.database or ""
    if not _NAME_RE.match(name):
        raise ValueError(f"refusing to drop a database not made by the tests: {name!r}")
    # Connect to the maintenance database: one cannot drop the database one
    # is connected to.
    conn = await _connect(target, database="postgres")
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
            timeout=_TIMEOUT,
        )
        # WITH (FORCE) (PostgreSQL 13+) also covers a session that connects
        # between the terminate and the drop.
        force = " WITH (FORCE)" if conn.get_server_version().major >= 13 else ""
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"{force}', timeout=_TIMEOUT)
    finally:
        await conn.close(timeout=_TIMEOUT)
