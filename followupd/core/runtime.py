"""What the jobs and handlers share: settings, store, clock, scheduler, per-mailbox I/O."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from followupd.approval.origin import DnsTxt, system_dns
from followupd.clock import Clock
from followupd.config import LoadedConfig, MailboxSettings
from followupd.core.scheduler import WorkScheduler
from followupd.db.engine import Database
from followupd.imap.watcher import ImapWatcher
from followupd.sequence.cadence import Cadence
from followupd.smtp.sender import SmtpSender
from followupd.templating.library import TemplateLibrary


class Signer(Protocol):
    """Adds a signature header to the raw bytes of an outgoing mail (DKIM)."""

    def sign(self, raw: bytes) -> bytes: ...


@dataclass(kw_only=True)
class MailboxRuntime:
    """One configured mailbox with its connections."""

    settings: MailboxSettings
    mailbox_id: int
    # Follow-ups to buyers. Mails to the rep go through their own connection: a follow-up's
    # transaction waits, right before MAIL FROM, for the mail just fetched to be processed,
    # and processing it may mail the rep.
    sender: SmtpSender
    rep_sender: SmtpSender
    watcher: ImapWatcher | None = None
    # Signs follow-ups for installations whose relay does not ([mailbox.dkim]).
    signer: Signer | None = None

    @property
    def domain(self) -> str:
        return self.settings.rep_address.rsplit("@", 1)[1]

    @property
    def rep_tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.rep_timezone)


@dataclass(kw_only=True)
class Runtime:
    """Everything a handler or job needs; built once by the daemon."""

    config: LoadedConfig
    db: Database
    clock: Clock
    scheduler: WorkScheduler
    library: TemplateLibrary
    cadences: dict[str, Cadence]
    mailboxes: dict[int, MailboxRuntime] = field(default_factory=dict)
    # Serializes every change of thread state: inbound mail and due jobs never interleave
    # their read-check-write sequences.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Set by the daemon: waits until every message already fetched has been processed.
    drain: Callable[[], Awaitable[None]] | None = None
    # TXT lookups for DKIM keys; tests hand in their own records.
    dns_txt: DnsTxt = system_dns
    # This running daemon, as named in the outbox rows it claims.
    instance: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def installation_id(self) -> str:
        """Stable per installation; part of every Message-ID we mint, never the secret."""
        digest = hmac.new(self.config.approval_secret(), b"installation-id", hashlib.sha256)
        return digest.hexdigest()[:16]

    async def inbound_drained(self) -> None:
        if self.drain is not None:
            await self.drain()

    @property
    def default_tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.settings.daemon.default_timezone)

    def buyer_tz(self, timezone: str | None) -> ZoneInfo:
        """The buyer's zone: the contact's own when known, else the configured default."""
        return ZoneInfo(timezone) if timezone else self.default_tz
