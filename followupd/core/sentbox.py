"""Our follow-ups in the rep's Sent folder: looked for after a send in doubt, filed there
when the provider does not do it itself.

Each call opens its own short IMAP connection (the watcher's is busy idling, and only reads).
The Sent folders are the ones the watcher found (role ``sent``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from imapclient import IMAPClient

from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.imap.connect import open_imap

__all__ = ["Look", "file_in_sent", "look_for_copy", "sent_folders"]

log = logging.getLogger(__name__)

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<?([^>\s]+)>?", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Look:
    """What a look in Sent found; ``searched`` is False when no Sent folder could be read."""

    found: bool
    searched: bool
    detail: str


def sent_folders(mb: MailboxRuntime) -> list[str]:
    return [f.name for f in mb.watcher.folders if f.role == "sent"] if mb.watcher else []


async def look_for_copy(rt: Runtime, mb: MailboxRuntime, message_id: str, *, wait: float) -> Look:
    """Look for ``message_id`` in Sent, again and again for ``wait`` seconds while absent:
    providers file the copy a moment after accepting the mail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay = 0.5
    password = rt.config.password(mb.settings.name, "imap")
    last = Look(found=False, searched=False, detail="no Sent folder of the rep is known")
    while True:
        folders = sent_folders(mb)
        if folders:
            try:
                found = await asyncio.to_thread(_search, mb, password, folders, message_id)
            except Exception as exc:
                last = Look(
                    found=False, searched=False, detail=f"Sent search failed: {type(exc).__name__}"
                )
            else:
                if found:
                    return Look(found=True, searched=True, detail=f"found in {found}")
                last = Look(
                    found=False,
                    searched=True,
                    detail=f"not in {', '.join(folders)} after {wait:g} s",
                )
        if loop.time() + delay > deadline or rt.scheduler.stopping:
            return last
        await asyncio.sleep(delay)
        delay = min(delay * 2, 4.0)


def _search(mb: MailboxRuntime, password: str, folders: list[str], message_id: str) -> str | None:
    client: IMAPClient = open_imap(mb.settings.imap, password)
    try:
        for folder in folders:
            client.select_folder(folder, readonly=True)
            uids = client.search(["HEADER", "Message-ID", message_id])
            if not uids:
                continue
            # HEADER matches substrings: compare the whole id.
            data = client.fetch(list(uids)[:5], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            for item in data.values():
                header = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"")
                match = _MESSAGE_ID.search(bytes(header or b""))
                if match and match.group(1).decode(errors="replace") == message_id:
                    return folder
        return None
    finally:
        with contextlib.suppress(Exception):
            client.logout()


async def file_in_sent(rt: Runtime, mb: MailboxRuntime, raw: bytes) -> str | None:
    """APPEND ``raw`` (the bytes that were sent) to the first Sent folder, marked read.

    Returns the folder, or None when there is none or the server refused (logged): the mail
    reached the buyer either way, so this never fails the send.
    """
    folders = sent_folders(mb)
    if not folders:
        log.warning("mailbox %s: no Sent folder to file the follow-up in", mb.settings.name)
        return None
    password = rt.config.password(mb.settings.name, "imap")
    try:
        await asyncio.to_thread(_append, mb, password, folders[0], raw, rt.clock.now())
    except Exception as exc:
        log.warning(
            "mailbox %s: filing the follow-up in %s failed: %s",
            mb.settings.name,
            folders[0],
            type(exc).__name__,
        )
        return None
    return folders[0]


def _append(mb: MailboxRuntime, password: str, folder: str, raw: bytes, at: datetime) -> None:
    client: IMAPClient = open_imap(mb.settings.imap, password)
    try:
        client.append(folder, raw, flags=[b"\\Seen"], msg_time=at)
    finally:
        with contextlib.suppress(Exception):
            client.logout()
