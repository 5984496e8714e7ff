"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from followupd.db.engine import Database
from followupd.db.migrate import alembic_config, current_revision, upgrade
from followupd.model import Base


async def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db)

        def diff(conn: Connection) -> list[object]:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))

        async with db.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.close()


async def test_downgrade_and_upgrade_again(db_url: str) -> None:
    db = Database(db_url)
    try:
        await upgrade(db)
        head = await current_revision(db)

        def down(conn: Connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")

        async with db.engine.begin() as conn:
            await conn.run_sync(down)
        assert await current_revision(db) == "0001"
        await upgrade(db)
        assert await current_revision(db) == head
    finally:
        await db.close()
