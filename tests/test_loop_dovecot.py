"""The same end-to-end loop against a real Dovecot (SPECIAL-USE, CONDSTORE, 0.5 s IDLE pushes)."""

from __future__ import annotations

from pathlib import Path

from loop_helpers import full_loop, unseen_flags
from servers.dovecot import DovecotServer, DovecotStore

from followupd.demo.world import World


async def test_full_loop_on_dovecot(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    user, password = dovecot_user
    store = DovecotStore(dovecot_server)
    async with World(tmp_path, imap=store, imap_user=user, imap_password=password) as w:
        await full_loop(w)
        flags = unseen_flags(w)
        assert flags and all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags)
