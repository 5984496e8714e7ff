"""Embedded mail servers for the demo and the tests: pymap (IMAP) and aiosmtpd (SMTP).

Both run in-process on free loopback ports. pymap gets a thread and an event loop of its own,
so that nothing the daemon or a test does on its loop can stall the server. The SMTP server
acts as a tiny MTA: every accepted message is kept for inspection, and a message for a local
user is also appended to that user's IMAP INBOX, as real delivery would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import warnings
from argparse import Namespace
from collections.abc import Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any, Protocol

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from imapclient import IMAPClient

# The embedded SMTP server listens on loopback only, where AUTH without TLS is harmless.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
logging.getLogger("mail.log").setLevel(logging.ERROR)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class MailStore(Protocol):
    """An IMAP server the tests and the demo can deliver into."""

    host: str
    port: int

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None: ...

    def client(self, user: str) -> IMAPClient: ...


class LoopbackImap:
    """Clear-text IMAP logins to a server on this host: the embedded one or a test's."""

    def __init__(self, port: int, users: Mapping[str, str], host: str = "127.0.0.1") -> None:
        self.host, self.port, self.users = host, port, users

    def password(self, user: str) -> str:
        return self.users[user]

    def client(self, user: str) -> IMAPClient:
        """A logged-in client for ``user`` (the caller logs out)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.login(user, self.password(user))
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver ``raw`` into ``folder`` of ``user``."""
        client = self.client(user)
        try:
            client.append(folder, raw)
        finally:
            client.logout()


class EmbeddedImap(LoopbackImap):
    """A pymap server (in-memory dict backend) with one or more users."""

    def __init__(self, users: dict[str, str]) -> None:
        super().__init__(free_port(), dict(users))
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pymap", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(15) or self._error is not None:
            raise RuntimeError(f"embedded IMAP server did not start: {self._error}")
        # Like a real account: a Sent folder, here without SPECIAL-USE (pymap has none), so
        # followupd has to find it by its name.
        for user in self.users:
            client = self.client(user)
            try:
                client.create_folder("Sent")
            finally:
                client.logout()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        from pymap.backend.dict import DictBackend
        from pymap.imap import IMAPService
        from pymap.user import Passwords, UserMetadata
        from pysasl.hashing import Cleartext

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        first_user, first_password = next(iter(self.users.items()))
        args = Namespace(
            host=[self.host],
            port=str(self.port),
            debug=False,
            cert=None,
            key=None,
            tls=False,
            demo_data=False,
            demo_user=first_user,
            demo_password=first_password,
            passlib_cfg=None,
            inherited_sockets=None,
            proxy_protocol=None,
        )
        # Plain-text password checks: this server is in memory, on loopback, for one process,
        # and pymap's default key stretching would make every login take most of a second.
        backend, config = await DictBackend.init(
            args, invalid_user_sleep=0.0, hash_context=Cleartext()
        )
        config.apply_context()
        for user, password in list(self.users.items())[1:]:
            hashed = await Passwords(config).hash_password(password)
            meta = UserMetadata(config, user, password=hashed)
            identity = backend.login.demo_user_identity.__class__(
                user, backend.login, None, frozenset()
            )
            await identity.set(meta)
        service = IMAPService(backend, config)
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await service.start(stack)
            self._ready.set()
            await self._stop.wait()


@dataclass
class Received:
    """One message accepted by the embedded SMTP server."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = message_from_bytes(self.raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)  # policy.default builds EmailMessage
        self.message = parsed


class _Handler:
    def __init__(self, server: EmbeddedSmtp) -> None:
        self._server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        item = Received(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=raw)
        fault = self._server.next_fault(item)
        if fault is None or fault == "deliver-drop":
            await asyncio.get_running_loop().run_in_executor(None, self._server.deliver, item)
        if fault in ("drop", "deliver-drop"):
            # Close without answering the final "."; aiosmtpd then cancels this handler.
            smtp.transport.close()
            await asyncio.sleep(30)
        return fault if fault is not None and fault[:1] in "45" else "250 OK queued"


class EmbeddedSmtp:
    """An aiosmtpd server with AUTH; delivers local users' mail into an EmbeddedImap."""

    def __init__(
        self,
        logins: dict[str, str],
        imap: MailStore | None = None,
        local: dict[str, str] | None = None,
        *,
        saves_sent: bool = False,
    ) -> None:
        self.host = "127.0.0.1"
        # Like Gmail: what a local user submits is also filed in their Sent folder.
        self.saves_sent = saves_sent
        self.port = free_port()
        self.logins = dict(logins)
        self.received: list[Received] = []
        # Tests may set this to act while a client waits for the reply to DATA.
        self.before_reply: Callable[[Received], None] | None = None
        # Faults for the next messages to non-local recipients, in order: an SMTP reply such
        # as "451 4.3.0 try later" (not delivered), "drop" (the connection closes without an
        # answer to the final ".", not delivered) or "deliver-drop" (delivered, then that).
        self.faults: list[str] = []
        self._imap = imap
        # address -> IMAP user, for local delivery
        self._local = {k.lower(): v for k, v in (local or {}).items()}
        self._cond = threading.Condition()
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
            auth_required=True,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            if self.logins.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def deliver(self, item: Received) -> None:
        if self.before_reply is not None:
            self.before_reply(item)
        if self._imap is not None:
            sender = self._local_user(item.mail_from) if self.saves_sent else None
            if sender is not None:
                self._imap.append(sender, item.raw, "Sent")
            for rcpt in item.rcpt_tos:
                user = self._local_user(rcpt)
                if user is not None:
                    # Like a real MTA, record the envelope recipient: for a Bcc copy it is the
                    # only trace of the address the sender used.
                    self._imap.append(user, f"Delivered-To: {rcpt}\r\n".encode() + item.raw)
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()

    def next_fault(self, item: Received) -> str | None:
        if not self.faults or all(self._local_user(r) for r in item.rcpt_tos):
            return None
        with self._cond:
            return self.faults.pop(0) if self.faults else None

    def _local_user(self, rcpt: str) -> str | None:
        local, _, domain = rcpt.lower().partition("@")
        # Plus addressing: anna+fu@ is delivered to anna@'s mailbox.
        return self._local.get(f"{local.split('+', 1)[0]}@{domain}")

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._controller.stop()

    def sent_to(self, address: str) -> list[Received]:
        with self._cond:
            return [r for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def wait_for(self, address: str, count: int, timeout: float) -> list[Received]:
        """Wait (bounded) until ``count`` messages for ``address`` were received."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._for(address)) >= count, timeout)
            return self._for(address)

    def _for(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]


def addresses(items: Iterable[Received]) -> list[str]:
    return [a for r in items for a in r.rcpt_tos]
