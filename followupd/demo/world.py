"""A small world for the demo and the end-to-end tests.

A rep (Anna, in Ningbo) and a buyer (Hans, in Chicago), real IMAP and SMTP servers on
loopback, a simulated clock, and a followupd daemon configured like any installation. Time is
moved forward by jumping to the next armed job; ``settle`` then waits, deterministically,
until the daemon has looked at the mailbox and processed everything that is due.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib

from followupd.approval.origin import DnsTxt
from followupd.clock import SimulatedClock
from followupd.config import LoadedConfig, load_config_data
from followupd.daemon import Daemon
from followupd.demo.servers import EmbeddedImap, EmbeddedSmtp, MailStore, Received

REP = "anna@seller.test"
REP_NAME = "Anna Chen"
REP_TZ = ZoneInfo("Asia/Shanghai")
BUYER = "hans@buyer-corp.test"
BUYER_NAME = "Hans Becker"
BUYER_TZ = ZoneInfo("America/Chicago")
IMAP_USER, IMAP_PASSWORD = "anna", "anna-imap-secret"
SMTP_USER, SMTP_PASSWORD = "anna", "anna-smtp-secret"

# 1 real second is 10 simulated seconds between jumps: jobs fire at their minute, and the
# minute a mail is stamped with does not drift while the daemon works.
SPEED = 10.0


@dataclass(frozen=True)
class Moment:
    """One line of the timeline."""

    at: datetime
    who: str
    what: str


class World:
    """Servers, clock and daemon, started and stopped together."""

    def __init__(
        self,
        workdir: Path,
        *,
        db_url: str | None = None,
        imap: MailStore | None = None,
        imap_user: str = IMAP_USER,
        imap_password: str = IMAP_PASSWORD,
        start: datetime = datetime(2026, 11, 23, 1, 30, tzinfo=UTC),
        imap_idle: bool = True,
        save_sent: bool = True,
        create_folders: tuple[str, ...] = (),
        imap_port: int | None = None,
        imap_extra: Mapping[str, Any] | None = None,
        mailbox_extra: Mapping[str, Any] | None = None,
        smtp_extra: Mapping[str, Any] | None = None,
        dns_txt: DnsTxt | None = None,
        provider_saves_sent: bool = False,
        speed: float = SPEED,
    ) -> None:
        self.dns_txt = dns_txt
        self.provider_saves_sent = provider_saves_sent
        # One per world: a restart with a changed config must keep the tokens valid.
        self.secret = secrets.token_hex(16)
        self.imap_idle = imap_idle
        self.save_sent = save_sent
        self.create_folders = create_folders
        # Tests point the daemon at a proxy in front of the server, or add settings
        # (folders, provider preset) to the mailbox and its IMAP table.
        self.imap_port = imap_port
        self.imap_extra = dict(imap_extra or {})
        self.mailbox_extra = dict(mailbox_extra or {})
        self.smtp_extra = dict(smtp_extra or {})
        self.workdir = workdir
        self.db_url = db_url or f"sqlite+aiosqlite:///{workdir / 'followupd.db'}"
        self._own_imap = imap is None
        self.imap: MailStore = imap or EmbeddedImap({imap_user: imap_password})
        self.imap_user, self.imap_password = imap_user, imap_password
        self.smtp = EmbeddedSmtp(
            {SMTP_USER: SMTP_PASSWORD},
            self.imap,
            {REP: imap_user},
            saves_sent=provider_saves_sent,
        )
        self.clock = SimulatedClock(start, speed=speed)
        self.timeline: list[Moment] = []
        self.daemon: Daemon | None = None
        self.config: LoadedConfig | None = None

    # -- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> World:
        if isinstance(self.imap, EmbeddedImap):
            await asyncio.to_thread(self.imap.start)
        self.smtp.start()
        if self.create_folders:
            await asyncio.to_thread(self._create_folders)
        self.config = self._config()
        await self.start_daemon()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop_daemon()
        self.smtp.stop()
        if isinstance(self.imap, EmbeddedImap):
            await asyncio.to_thread(self.imap.stop)

    def _create_folders(self) -> None:
        client = self.imap.client(self.imap_user)
        try:
            for name in self.create_folders:
                if not client.folder_exists(name):
                    client.create_folder(name)
        finally:
            client.logout()

    async def start_daemon(self) -> None:
        assert self.config is not None
        self.daemon = Daemon(self.config, self.clock, dns_txt=self.dns_txt)
        await self.daemon.start()
        await self.settle()

    def reconfigure(self, *, smtp_extra: Mapping[str, Any]) -> None:
        """Change the mailbox's SMTP settings for the next start (an admin edits the file)."""
        self.smtp_extra = dict(smtp_extra)
        self.config = self._config()

    async def stop_daemon(self) -> None:
        if self.daemon is not None:
            await self.daemon.stop()
            self.daemon = None

    def _config(self) -> LoadedConfig:
        server = {"host": "127.0.0.1", "tls": "none", "allow_plaintext": True}
        data = {
            "daemon": {"database_url": self.db_url, "default_timezone": BUYER_TZ.key},
            # The rep's client here saves to Sent before it sends: a short wait is enough.
            "approval": {"secret_env": "FOLLOWUPD_APPROVAL_SECRET", "sent_wait_seconds": 2.0},
            "company": {
                "name": "Ningbo Seller Bearings Co., Ltd.",
                "website": "https://seller.test",
                "products": ["deep groove ball bearings", "taper roller bearings"],
                "certifications": ["ISO 9001:2015", "IATF 16949"],
            },
            "mailbox": [
                {
                    "name": "anna",
                    "rep_address": REP,
                    "rep_name": REP_NAME,
                    "rep_timezone": REP_TZ.key,
                    "imap": {
                        **server,
                        "port": self.imap_port or self.imap.port,
                        "user": self.imap_user,
                        "password_env": "FOLLOWUPD_IMAP_PASSWORD",
                        "poll_seconds": 5.0,
                        "idle": self.imap_idle,
                        **self.imap_extra,
                    },
                    "smtp": {
                        **server,
                        "port": self.smtp.port,
                        "user": SMTP_USER,
                        "password_env": "FOLLOWUPD_SMTP_PASSWORD",
                        "saves_sent": self.provider_saves_sent,
                        "sent_copy_wait_seconds": 2.0,
                        **self.smtp_extra,
                    },
                    **self.mailbox_extra,
                }
            ],
        }
        env = {
            "FOLLOWUPD_APPROVAL_SECRET": self.secret,
            "FOLLOWUPD_IMAP_PASSWORD": self.imap_password,
            "FOLLOWUPD_SMTP_PASSWORD": SMTP_PASSWORD,
        }
        return load_config_data(data, env=env)

    # -- time ---------------------------------------------------------------------------

    async def settle(self, limit: float = 30.0) -> None:
        """Wait until the mailbox was looked at and everything due now has been done."""
        daemon, rt = self.daemon, self.daemon.rt if self.daemon else None
        assert daemon is not None and rt is not None
        deadline = asyncio.get_running_loop().time() + limit
        calm = 0
        while True:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the daemon did not settle")
            for mb in rt.mailboxes.values():
                if mb.watcher is not None:
                    await asyncio.wait_for(asyncio.wrap_future(mb.watcher.request_sync()), 20)
            await rt.inbound_drained()
            await asyncio.sleep(0.02)
            # The last look comes after the last await: the caller reads the armed jobs next,
            # and a job that started in between would be neither armed nor seen running.
            due_now = any(at <= self.clock.now() for at in rt.scheduler.armed().values())
            calm = calm + 1 if daemon.quiet() and not due_now else 0
            if calm >= 2:
                return

    async def advance(self) -> datetime | None:
        """Jump to the next armed job, let it run, and return its instant (None: nothing left)."""
        assert self.daemon is not None
        # The simulated clock runs on in real time, so a job due a moment after the last jump
        # may have started meanwhile: it is no longer armed, but not done either.
        await self.settle()
        due = self.daemon.next_due()
        if due is None:
            return None
        self.clock.jump_to(due)
        await self.settle()
        return due

    async def advance_until(self, done: Callable[[], bool], limit: int = 40) -> None:
        """Advance job by job until ``done()``; bounded by ``limit`` jumps."""
        for _ in range(limit):
            if done():
                return
            if await self.advance() is None:
                break
        if not done():
            raise AssertionError("the expected event did not happen")

    def note(self, who: str, what: str) -> None:
        self.timeline.append(Moment(self.clock.now(), who, what))

    # -- the people -----------------------------------------------------------------------

    async def _submit(
        self, msg: EmailMessage, recipients: list[str], *, bcc: str | None = None
    ) -> None:
        """Send as Anna's mail client does: over SMTP, then a copy (with Bcc) into Sent."""
        if self.save_sent:
            # Clients keep the Bcc header in the Sent copy only.
            raw = (f"Bcc: {bcc}\r\n".encode() if bcc else b"") + msg.as_bytes()
            await asyncio.to_thread(self.imap.append, self.imap_user, raw, "Sent")
        await self._relay(msg, sender=REP, recipients=recipients)

    async def _relay(
        self, msg: EmailMessage | bytes, *, sender: str, recipients: list[str]
    ) -> None:
        """Hand ``msg`` to the embedded SMTP server, as a mail client on this host does."""
        await aiosmtplib.send(
            msg,
            hostname="127.0.0.1",
            port=self.smtp.port,
            username=SMTP_USER,
            password=SMTP_PASSWORD,
            sender=sender,
            recipients=recipients,
            start_tls=False,
            use_tls=False,
        )

    async def rep_sends_pi(
        self,
        *,
        subject: str,
        cadence: str | None = None,
        buyer: str = BUYER,
        buyer_name: str = BUYER_NAME,
        body: str | None = None,
    ) -> str:
        """Anna mails the PI to the buyer and Bcc's her plus address; returns the Message-ID."""
        msg = EmailMessage(policy=default_policy)
        msg["From"] = f"{REP_NAME} <{REP}>"
        msg["To"] = f"{buyer_name} <{buyer}>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.clock.now())
        mid = f"pi.{secrets.token_hex(6)}@seller.test"
        msg["Message-ID"] = f"<{mid}>"
        msg.set_content(
            body
            or f"Dear {buyer_name.split()[0]},\n\nplease find attached our proforma invoice.\n\n"
            f"Best regards,\n{REP_NAME}\n"
        )
        msg.add_attachment(
            b"%PDF-1.4 demo", maintype="application", subtype="pdf", filename="PI-2026-118.pdf"
        )
        plus = REP.replace("@", f"+fu-{cadence}@" if cadence else "+fu@")
        # The Bcc header is not transmitted; the plus address is only in the envelope.
        self.note("rep", f"sends '{subject}' to {buyer}, Bcc {plus}")
        await self._submit(msg, [buyer, plus], bcc=plus)
        if self.daemon is not None:  # else the next daemon to start finds it
            await self.settle()
        return mid

    def mails_to(self, address: str) -> list[Received]:
        return self.smtp.sent_to(address)

    def reviews(self) -> list[Received]:
        return [r for r in self.mails_to(REP) if r.message.get("X-Followupd") == "review"]

    def digests(self) -> list[Received]:
        return [r for r in self.mails_to(REP) if r.message.get("X-Followupd") == "digest"]

    def notices(self, subject_start: str) -> list[Received]:
        return [
            r
            for r in self.mails_to(REP)
            if str(r.message.get("Subject", "")).startswith(subject_start)
        ]

    async def rep_replies(
        self,
        review: Received,
        first_line: str,
        *,
        sender: str = REP,
        sent_copy: bool = True,
        sign: Callable[[bytes], bytes] | None = None,
        edit: Callable[[str], str] | None = None,
        settle: bool = True,
    ) -> bytes:
        """Anna answers a review mail from her mail client, top-posting; returns the reply.

        ``sender``, ``sent_copy`` and ``sign`` make other replies: one forged by someone who
        knows the token (no copy in Anna's Sent folder), or one DKIM-signed by ``sign``.
        ``edit`` changes the quoted review mail before it is quoted (Anna edits the draft).
        ``settle=False`` returns as soon as the reply is sent.
        """
        original = review.message
        body = original.get_body(preferencelist=("plain",))
        shown = body.get_content() if body else ""
        quoted = "\n".join("> " + line for line in (edit(shown) if edit else shown).splitlines())
        msg = EmailMessage(policy=default_policy)
        msg["From"] = f"{REP_NAME} <{sender}>"
        msg["To"] = str(original["From"])
        msg["Subject"] = "Re: " + str(original["Subject"])
        msg["Date"] = format_datetime(self.clock.now())
        msg["Message-ID"] = f"<reply.{secrets.token_hex(6)}@seller.test>"
        msg["In-Reply-To"] = str(original["Message-ID"])
        msg["References"] = str(original["Message-ID"])
        when = format_datetime(self.clock.now().astimezone(REP_TZ))
        msg.set_content(f"{first_line}\n\nOn {when}, followupd <{REP}> wrote:\n{quoted}\n")
        self.note("rep", f"replies '{first_line}' to the review mail")
        raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        if sign is None and sent_copy and sender == REP:
            await self._submit(msg, [REP])
        else:
            if sent_copy:
                await asyncio.to_thread(self.imap.append, self.imap_user, raw, "Sent")
            await self._relay(sign(raw) if sign else raw, sender=sender, recipients=[REP])
        if settle:
            await self.settle()
        return raw

    async def buyer_replies(self, to: Received, text: str) -> None:
        """Hans answers the follow-up he received."""
        original = to.message
        refs = str(original.get("References", "")).split()
        msg = EmailMessage(policy=default_policy)
        msg["From"] = f"{BUYER_NAME} <{BUYER}>"
        msg["To"] = f"{REP_NAME} <{REP}>"
        msg["Subject"] = "RE: " + str(original["Subject"]).removeprefix("Re: ")
        msg["Date"] = format_datetime(self.clock.now().astimezone(BUYER_TZ))
        msg["Message-ID"] = f"<{secrets.token_hex(8)}@buyer-corp.test>"
        msg["In-Reply-To"] = str(original["Message-ID"])
        msg["References"] = " ".join([*refs, str(original["Message-ID"])])
        msg.set_content(text)
        await self._relay(msg, sender=BUYER, recipients=[REP])
        self.note("buyer", f"replies: {text.splitlines()[0]}")
        await self.settle()

    def later(self, delta: timedelta) -> None:
        """Let some simulated time pass without any job."""
        self.clock.advance(delta)
