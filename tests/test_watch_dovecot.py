"""Watching a Dovecot mailbox: SPECIAL-USE Sent, CONDSTORE, 0.5 s IDLE pushes, reconnects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import watch_scenarios as sc
from servers.dovecot import DovecotServer, DovecotStore
from servers.tcp_proxy import TcpProxy

from followupd.demo.world import World


def _world(tmp_path: Path, server: DovecotServer, user: tuple[str, str], **kw: Any) -> World:
    """A world on the session's Dovecot, as this test's own user."""
    return World(
        tmp_path, imap=DovecotStore(server), imap_user=user[0], imap_password=user[1], **kw
    )


def _watcher(w: World):  # type: ignore[no-untyped-def]
    assert w.daemon is not None
    watcher = next(iter(w.daemon.rt.mailboxes.values())).watcher
    assert watcher is not None
    return watcher


async def test_sent_by_special_use_and_rep_takeover(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    async with _world(tmp_path, dovecot_server, dovecot_user) as w:
        watcher = _watcher(w)
        assert watcher.condstore
        assert [(f.name, f.role, f.why) for f in watcher.folders][-1] == (
            "Sent",
            "sent",
            "SPECIAL-USE \\Sent",
        )
        await sc.rep_takes_over(w, "Sent")


async def test_reply_filed_in_another_folder_on_dovecot(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    async with _world(
        tmp_path,
        dovecot_server,
        dovecot_user,
        create_folders=("Buyers",),
        imap_extra={"folders": ["INBOX", "Buyers"]},
    ) as w:
        await sc.reply_in_other_folder(w)


async def test_connection_cut_mid_idle_on_dovecot(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    with TcpProxy(dovecot_server.port) as proxy:
        async with _world(tmp_path, dovecot_server, dovecot_user, imap_port=proxy.port) as w:
            await sc.reconnect_after_cut(w, proxy)


async def test_uidvalidity_change_on_dovecot(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    async with _world(
        tmp_path,
        dovecot_server,
        dovecot_user,
        create_folders=("Buyers",),
        imap_extra={"folders": ["INBOX", "Buyers"]},
    ) as w:
        await sc.uidvalidity_change(w)


async def test_first_sight_indexes_old_mail_on_dovecot(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    async with _world(
        tmp_path,
        dovecot_server,
        dovecot_user,
        imap_extra={"folders": ["INBOX", "Old mail"]},
    ) as w:
        await sc.old_mail_is_indexed_not_handled(w)
