"""The test servers themselves: if these fail, the app tests of a tier mean nothing."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from imapclient import IMAPClient
from servers import run_sync
from servers.dovecot import DovecotServer
from servers.postgres import drop_database
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

# Dovecot delays IDLE notifications by about 500 ms; 3 s leaves room on a
# busy machine without letting a lost push hang the run.
IDLE_WAIT = 3.0


@contextmanager
def imap_session(server: DovecotServer, user: str, password: str) -> Iterator[IMAPClient]:
    client = IMAPClient(server.host, server.port, ssl=False, timeout=10)
    # Without TCP_NODELAY every command waits on delayed ACKs (~40 ms).
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.login(user, password)
    try:
        yield client
    finally:
        client.logout()


def test_dovecot_login_and_capabilities(
    dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    with imap_session(dovecot_server, *dovecot_user) as client:
        caps = set(client.capabilities())
    assert {b"IDLE", b"CONDSTORE", b"QRESYNC", b"SPECIAL-USE", b"MOVE", b"UIDPLUS"} <= caps


def test_dovecot_special_use_folders_exist(
    dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    with imap_session(dovecot_server, *dovecot_user) as client:
        by_use = {
            flag: name
            for flags, _sep, name in client.list_folders()
            for flag in flags
            if flag.startswith(b"\\") and flag not in (b"\\HasNoChildren", b"\\HasChildren")
        }
    assert by_use[b"\\Sent"] == "Sent"
    assert {b"\\Drafts", b"\\Trash", b"\\Archive"} <= by_use.keys()


def test_dovecot_wrong_password_is_refused(
    dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    user, _password = dovecot_user
    client = IMAPClient(dovecot_server.host, dovecot_server.port, ssl=False, timeout=10)
    try:
        with pytest.raises(IMAPClient.Error):
            client.login(user, "not-the-password")
    finally:
        client.shutdown()


def test_dovecot_idle_push_after_append(
    dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    with (
        imap_session(dovecot_server, *dovecot_user) as watcher,
        imap_session(dovecot_server, *dovecot_user) as writer,
    ):
        watcher.select_folder("INBOX")
        watcher.idle()
        try:
            writer.append("INBOX", b"Subject: ping\r\nFrom: a@example.org\r\n\r\nhello\r\n")
            started = time.monotonic()
            pushed: list[object] = []
            # idle_check may wake for other untagged data; keep waiting until
            # EXISTS arrives or the overall bound is spent.
            while time.monotonic() - started < IDLE_WAIT and not pushed:
                remaining = IDLE_WAIT - (time.monotonic() - started)
                responses = watcher.idle_check(timeout=max(remaining, 0.05))
                pushed = [r for r in responses if len(r) > 1 and r[1] == b"EXISTS"]
            elapsed = time.monotonic() - started
        finally:
            watcher.idle_done()
    assert pushed, f"no EXISTS push within {IDLE_WAIT} s"
    assert elapsed < IDLE_WAIT


def test_dovecot_user_added_while_running(dovecot_server: DovecotServer) -> None:
    # The passwd-file is re-read on change, so users can be added at any time.
    dovecot_server.add_user("late-joiner", "pw-late")
    with imap_session(dovecot_server, "late-joiner", "pw-late") as client:
        assert client.folder_exists("Sent")


async def test_postgres_select_one(pg_url: str) -> None:
    engine = create_async_engine(pg_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
            name = (await conn.execute(text("select current_database()"))).scalar_one()
    finally:
        await engine.dispose()
    assert name.startswith("followupd_test_")


def test_postgres_database_is_dropped(pg_url: str) -> None:
    async def exists(url: str) -> bool:
        parsed = make_url(url)
        conn = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, database="postgres"
        )
        try:
            found = await conn.fetchval(
                "select 1 from pg_database where datname = $1", parsed.database
            )
        finally:
            await conn.close()
        return found == 1

    assert run_sync(exists(pg_url))
    # Dropping twice is fine (IF EXISTS); the fixture drops it again afterwards.
    run_sync(drop_database(pg_url))
    assert not run_sync(exists(pg_url))


async def test_db_url_select_one(db_url: str) -> None:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
