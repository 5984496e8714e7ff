"""Watching a mailbox on pymap (no SPECIAL-USE, no CONDSTORE): folders, Sent, reconnects."""

from __future__ import annotations

from pathlib import Path

import pytest
import watch_scenarios as sc
from servers.tcp_proxy import TcpProxy

from followupd.demo.servers import EmbeddedImap
from followupd.demo.world import IMAP_PASSWORD, IMAP_USER, World

pytestmark = pytest.mark.pymap


async def test_reply_filed_in_another_folder_counts_once(tmp_path: Path) -> None:
    async with World(
        tmp_path, create_folders=("Buyers",), imap_extra={"folders": ["INBOX", "Buyers"]}
    ) as w:
        await sc.reply_in_other_folder(w)
        assert w.daemon is not None
        watcher = next(iter(w.daemon.rt.mailboxes.values())).watcher
        assert watcher is not None and not watcher.condstore
        assert [(f.name, f.role) for f in watcher.folders] == [
            ("INBOX", "inbox"),
            ("Buyers", "inbox"),
            ("Sent", "sent"),
        ]


async def test_rep_reply_in_sent_pauses_the_thread(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url) as w:
        await sc.rep_takes_over(w, "Sent")


async def test_localized_sent_folder_from_a_provider_hint(tmp_path: Path) -> None:
    async with World(
        tmp_path, create_folders=("已发送",), imap_extra={"sent_folder_hints": ["已发送"]}
    ) as w:
        await sc.rep_takes_over(w, "已发送")


async def test_connection_cut_mid_idle_then_reconnect(tmp_path: Path) -> None:
    imap = EmbeddedImap({IMAP_USER: IMAP_PASSWORD})
    with TcpProxy(imap.port) as proxy:
        async with World(tmp_path, imap=imap, imap_port=proxy.port) as w:
            await sc.reconnect_after_cut(w, proxy)


async def test_uidvalidity_change(tmp_path: Path, db_url: str) -> None:
    async with World(
        tmp_path,
        db_url=db_url,
        create_folders=("Buyers",),
        imap_extra={"folders": ["INBOX", "Buyers"]},
    ) as w:
        await sc.uidvalidity_change(w)


async def test_first_sight_indexes_old_mail(tmp_path: Path, db_url: str) -> None:
    async with World(tmp_path, db_url=db_url, imap_extra={"folders": ["INBOX", "Old mail"]}) as w:
        await sc.old_mail_is_indexed_not_handled(w)
