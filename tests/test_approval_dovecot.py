"""The rep's answers against a real Dovecot: its Sent folder is a SPECIAL-USE \\Sent folder,
found by its flag, and IDLE pushes come after 0.5 s. Each reply is proven by its Sent copy."""

from __future__ import annotations

import asyncio
from pathlib import Path

from loop_helpers import drafts, followups, plain_text, until_kept
from servers.dovecot import DovecotServer, DovecotStore

from followupd.approval.edit import DRAFT_END, DRAFT_START
from followupd.demo.world import World


def _world(tmp_path: Path, server: DovecotServer, user: tuple[str, str], **extra: object) -> World:
    name, password = user
    return World(
        tmp_path,
        imap=DovecotStore(server),
        imap_user=name,
        imap_password=password,
        **extra,  # type: ignore[arg-type]
    )


def _edited(text: str) -> str:
    start, end = text.index(DRAFT_START), text.index(DRAFT_END)
    body = "\nDear Hans,\n\nwe can hold the price until Friday.\n\nAnna\n"
    return text[: start + len(DRAFT_START)] + body + text[end:]


async def test_an_edited_draft_reaches_the_buyer(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    async with _world(tmp_path, dovecot_server, dovecot_user) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        await w.rep_replies(w.reviews()[0], "", edit=_edited)
        assert w.notices("Approved:")
        await w.advance_until(lambda: len(followups(w)) == 1)
        assert "hold the price until Friday" in plain_text(followups(w)[0])


async def test_a_digest_answered_by_number(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    extra = {"mailbox_extra": {"review": "digest", "digest_hour": 9, "rep_language": "zh"}}
    async with _world(tmp_path, dovecot_server, dovecot_user, **extra) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.digests()) == 1, limit=60)
        await w.rep_replies(w.digests()[0], "同意 1")
        assert [d.state for d in await drafts(w)] == ["approved"]
        await w.advance_until(lambda: len(followups(w)) == 1)


async def test_a_restart_during_the_sent_wait_keeps_the_command(
    tmp_path: Path, dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    async with _world(tmp_path, dovecot_server, dovecot_user) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.reviews()) == 1)
        raw = await w.rep_replies(w.reviews()[0], "approve", sent_copy=False, settle=False)
        await until_kept(w)
        await w.stop_daemon()
        await asyncio.to_thread(w.imap.append, w.imap_user, raw, "Sent")
        await w.start_daemon()
        await w.advance_until(lambda: bool(w.notices("Approved:")))
        assert not w.notices("Command refused:")
        assert [d.state for d in await drafts(w)] == ["approved"]
