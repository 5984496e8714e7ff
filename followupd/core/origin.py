"""Gathering the proofs of a command's origin: the I/O shell of followupd.approval.origin.

DKIM needs DNS (through the runtime's resolver, with the configured timeout); the
Authentication-Results check reads headers only; the Sent-folder proof opens its own short
IMAP connection, looks for the reply's Message-ID in the rep's Sent folder and compares the
copy with the reply, since only the rep's account can write there. Clients save that copy a
moment after sending, so the search is repeated for ``sent_wait_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from imapclient import IMAPClient

from followupd.approval.commands import strip_quoted
from followupd.approval.origin import OriginEvidence, ProofResult, gather_evidence
from followupd.config.models import ImapSettings
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.errors import MailParseError
from followupd.imap.connect import open_imap
from followupd.imap.folders import plan_folders
from followupd.mail.parse import ParsedMessage, parse_message

__all__ = ["find_in_sent", "gather_origin", "look_in_sent"]

log = logging.getLogger(__name__)

# The lines of the rep's own text compared between the reply and its Sent copy: enough to
# be sure it is the same command, few enough to survive a client re-wrapping a signature.
_COMPARED_LINES = 5


async def gather_origin(
    rt: Runtime, mb: MailboxRuntime, raw: bytes, *, from_sent: bool
) -> OriginEvidence:
    """The proofs that need no mailbox search: DKIM, Authentication-Results, and ``from_sent``
    (the reply was read from the rep's own Sent folder, which is proof in itself)."""
    approval = rt.config.settings.approval
    sent = None
    if from_sent:
        sent = ProofResult(name="sent", ok=True, detail="read from the rep's own Sent folder")
    # dkimpy is synchronous and may wait on DNS: off the event loop, and bounded.
    return await asyncio.to_thread(
        gather_evidence,
        raw,
        mb.domain,
        rt.dns_txt,
        accepted=approval.origin_proofs,
        timeout=approval.dkim_dns_timeout,
        trusted_ids=approval.trusted_authserv_ids,
        sent=sent,
    )


async def find_in_sent(rt: Runtime, mb: MailboxRuntime, reply: ParsedMessage) -> ProofResult:
    """Look for ``reply`` in the rep's Sent folder, retrying while the client may still save."""
    if not reply.message_id:
        return ProofResult(name="sent", ok=False, detail="the reply has no Message-ID")
    wait = rt.config.settings.approval.sent_wait_seconds
    password = rt.config.password(mb.settings.name, "imap")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay = 0.5
    folders: list[str] = []
    while True:
        # Read each time: right after a start the watcher may not have listed the folders yet.
        folders = [f.name for f in mb.watcher.folders if f.role == "sent"] if mb.watcher else []
        copies: list[bytes] = []
        try:
            if folders:
                copies = await asyncio.to_thread(_search, mb, password, folders, reply.message_id)
        except Exception as exc:
            log.warning("mailbox %s: Sent search failed: %s", mb.settings.name, type(exc).__name__)
        for raw in copies:
            verdict = _same_command(raw, reply)
            if verdict is not None:
                return verdict
        if loop.time() + delay > deadline or rt.scheduler.stopping:
            break
        await asyncio.sleep(delay)
        delay = min(delay * 2, 4.0)
    if not folders:
        return ProofResult(name="sent", ok=False, detail="no Sent folder of the rep is watched")
    return ProofResult(
        name="sent",
        ok=False,
        detail=f"no copy of the reply in {', '.join(folders)} after {wait:g} s",
    )


def _search(
    mb: MailboxRuntime, password: str, folders: Sequence[str], message_id: str
) -> list[bytes]:
    client: IMAPClient = open_imap(mb.settings.imap, password)
    try:
        return _copies(client, folders, message_id)
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def _copies(client: IMAPClient, folders: Sequence[str], message_id: str) -> list[bytes]:
    found: list[bytes] = []
    for folder in folders:
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        if not uids:
            continue
        # A handful at most: the same Message-ID twice in Sent is already odd.
        fetched = client.fetch(list(uids)[:3], ["BODY.PEEK[]"])
        found.extend(bytes(data[b"BODY[]"]) for data in fetched.values())
    return found


def look_in_sent(settings: ImapSettings, password: str, reply: ParsedMessage) -> ProofResult:
    """One look, without waiting, for ``reply`` in the Sent folder of the mailbox reached
    with ``settings`` (found the way the watcher finds it); for ``followupd command-check``,
    which reads a reply that has long been saved."""
    if not reply.message_id:
        return ProofResult(name="sent", ok=False, detail="the reply has no Message-ID")
    try:
        client: IMAPClient = open_imap(settings, password)
    except Exception as exc:
        return ProofResult(
            name="sent", ok=False, detail=f"could not reach the mailbox: {type(exc).__name__}"
        )
    try:
        listing = [(tuple(flags), delim, str(name)) for flags, delim, name in client.list_folders()]
        planned, _problems = plan_folders(
            listing,
            configured=settings.folders,
            sent_folder=settings.sent_folder,
            hints=settings.sent_folder_hints,
        )
        folders = [f.name for f in planned if f.role == "sent"]
        if not folders:
            return ProofResult(name="sent", ok=False, detail="the mailbox has no Sent folder")
        for raw in _copies(client, folders, reply.message_id):
            verdict = _same_command(raw, reply)
            if verdict is not None:
                return verdict
        return ProofResult(
            name="sent", ok=False, detail=f"no copy of the reply in {', '.join(folders)}"
        )
    except Exception as exc:
        return ProofResult(
            name="sent", ok=False, detail=f"the Sent search failed: {type(exc).__name__}"
        )
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def _same_command(raw: bytes, reply: ParsedMessage) -> ProofResult | None:
    """A proof when the Sent copy is the same message as ``reply``; None otherwise."""
    try:
        copy = parse_message(raw)
    except MailParseError:
        return None
    if copy.message_id != reply.message_id:
        return None  # HEADER search matches substrings
    same_sender = copy.from_ is not None and reply.from_ is not None
    same_sender = same_sender and copy.from_.email == reply.from_.email  # type: ignore[union-attr]
    if not same_sender or set(copy.in_reply_to) != set(reply.in_reply_to):
        return ProofResult(
            name="sent", ok=False, detail="the Sent copy differs from the reply (sender or thread)"
        )
    if _own_lines(copy.text) != _own_lines(reply.text):
        return ProofResult(
            name="sent", ok=False, detail="the Sent copy says something else than the reply"
        )
    return ProofResult(name="sent", ok=True, detail="the same message is in the rep's Sent folder")


def _own_lines(text: str) -> list[str]:
    lines = (" ".join(line.split()) for line in strip_quoted(text).split("\n"))
    return [line for line in lines if line][:_COMPARED_LINES]
