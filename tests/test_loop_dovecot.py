"""The same end-to-end loop against a real Dovecot (SPECIAL-USE, CONDSTORE, 0.5 s IDLE pushes)."""

from __future__ import annotations

import socket
from pathlib import Path

from imapclient import IMAPClient
from loop_helpers import full_loop, unseen_flags
from servers.dovecot import DovecotServer

from followupd.demo.world import World


class DovecotStore:
    """Delivers into, and reads from, a Dovecot mailbox (what the embedded MTA needs)."""

    def __init__(self, server: DovecotServer) -> None:
        self.server = server
        self.host = server.host
        self.port = server.port

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.login(user, self.server.users[user])
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            client.append(folder, raw)
        finally:
            client.logout()


async def test_full_loop_on_dovecot(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    user, password = dovecot_user
    store = DovecotStore(dovecot_server)
    async with World(tmp_path, imap=store, imap_user=user, imap_password=password) as w:
        await full_loop(w)
        flags = unseen_flags(w)
        assert flags and all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags)
