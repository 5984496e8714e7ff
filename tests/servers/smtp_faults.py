"""A scriptable SMTP server on loopback (aiosmtpd) for the failure paths of sending.

A test tells it to answer a stage (MAIL, RCPT, DATA, RSET) with a reply of its choosing, or
to drop the connection there without answering, a given number of times; it can require
AUTH, offer STARTTLS or speak implicit TLS. It keeps every message it took, byte for byte,
and counts connections, transactions, AUTH commands and QUITs.

Dropping at DATA happens after the whole message and its final dot were read and before
any reply: the client is then waiting for the one reply that says whether its message was
taken, which is the moment a duplicate is made.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

from followupd.demo.servers import free_port

Stage = Literal["MAIL", "RCPT", "DATA", "RSET"]

# How long a dropping handler waits for aiosmtpd to notice the closed connection (it
# cancels the handler then); only a broken server would reach the end of it.
_DROP_WAIT = 30.0


class CertificateUnavailable(Exception):
    """No way to make a certificate here; the reason says what is missing."""


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed_certificate(directory: Path) -> Certificate:
    """Make a throw-away certificate with the ``openssl`` command.

    Neither ``cryptography`` nor ``trustme`` is a dependency of the project; the openssl
    command is on nearly every machine that has Python's ssl module.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateUnavailable("the openssl command is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(cert),
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise CertificateUnavailable(f"openssl req failed: {done.stderr.strip()[:300]}")
    return Certificate(cert=cert, key=key)


@dataclass
class Received:
    """A complete message as the server read it (dot-stuffing undone)."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    raw: bytes


@dataclass
class _Fault:
    # None: drop the connection without a reply.
    reply: str | None
    times: int


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: dict[str, list[_Fault]] = field(default_factory=dict)
    connections: int = 0
    transactions: int = 0
    auth_commands: int = 0
    quits: int = 0
    received: list[Received] = field(default_factory=list)
    data_seen: list[Received] = field(default_factory=list)
    live: set[_Smtp] = field(default_factory=set)


class _Smtp(SMTP):  # type: ignore[misc]
    """aiosmtpd's SMTP that reports when its connection opens and closes."""

    def __init__(self, state: _State, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._state = state

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # After STARTTLS aiosmtpd calls this again for the same connection.
        first = self.transport is None
        super().connection_made(transport)
        if first:
            with self._state.lock:
                self._state.connections += 1
                self._state.live.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        with self._state.lock:
            self._state.live.discard(self)
        super().connection_lost(error)


class _Controller(Controller):  # type: ignore[misc]
    def __init__(self, state: _State, handler: object, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._state = state

    def factory(self) -> _Smtp:
        return _Smtp(self._state, self.handler, **self.SMTP_kwargs)


class _Handler:
    def __init__(self, state: _State) -> None:
        self._state = state

    def _take(self, stage: str) -> _Fault | None:
        with self._state.lock:
            queue = self._state.faults.get(stage, [])
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    async def _act(self, server: Any, fault: _Fault) -> Any:
        if fault.reply is not None:
            return fault.reply
        # Closing the transport sends FIN once the replies written so far are out;
        # aiosmtpd then cancels this handler (connection_lost), so no reply ever follows.
        server.transport.close()
        await asyncio.sleep(_DROP_WAIT)
        return "421 4.3.0 the connection should have been closed"

    async def handle_AUTH(self, server: Any, session: Any, envelope: Any, args: Any) -> Any:
        with self._state.lock:
            self._state.auth_commands += 1
        return MISSING

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> Any:
        with self._state.lock:
            self._state.transactions += 1
        fault = self._take("MAIL")
        return MISSING if fault is None else await self._act(server, fault)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> Any:
        fault = self._take("RCPT")
        return MISSING if fault is None else await self._act(server, fault)

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> Any:
        fault = self._take("RSET")
        return MISSING if fault is None else await self._act(server, fault)

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> Any:
        with self._state.lock:
            self._state.quits += 1
        return MISSING

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> Any:
        item = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            mail_options=list(envelope.mail_options),
            raw=bytes(envelope.original_content),
        )
        with self._state.lock:
            self._state.data_seen.append(item)
        fault = self._take("DATA")
        if fault is not None:
            return await self._act(server, fault)
        with self._state.lock:
            self._state.received.append(item)
            number = len(self._state.received)
        return f"250 2.0.0 OK queued as FAULT{number}"


class FaultSmtp:
    """The scriptable server; use it as a context manager."""

    def __init__(
        self,
        users: dict[str, str],
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        auth_require_tls: bool = False,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.users = dict(users)
        self._state = _State()
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": "faults.test",
            "authenticator": self._authenticate,
            "auth_required": True,
            "auth_require_tls": auth_require_tls,
        }
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        if implicit_tls is not None:
            kwargs["ssl_context"] = implicit_tls
        self._controller = _Controller(self._state, _Handler(self._state), **kwargs)

    def __enter__(self) -> FaultSmtp:
        self._controller.start()
        # aiosmtpd's readiness check connected once; that one is not the client's.
        with self._state.lock:
            self._state.connections = 0
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            if self.users.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    # -- scripting ----------------------------------------------------------------------

    def fail(self, stage: Stage, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` commands of ``stage`` with ``reply`` (e.g. "451 ...")."""
        with self._state.lock:
            self._state.faults.setdefault(stage, []).append(_Fault(reply, times))

    def drop(self, stage: Stage, times: int = 1) -> None:
        """Close the connection instead of answering the next ``times`` ``stage`` commands."""
        with self._state.lock:
            self._state.faults.setdefault(stage, []).append(_Fault(None, times))

    def close_connections(self, timeout: float = 5.0) -> int:
        """Close every open connection from the server's side, as its idle timeout would."""
        done = threading.Event()
        closed: list[int] = []

        def close_all() -> None:
            with self._state.lock:
                live = list(self._state.live)
            for smtp in live:
                if smtp.transport is not None:
                    smtp.transport.close()
            closed.append(len(live))
            done.set()

        self._controller.loop.call_soon_threadsafe(close_all)
        if not done.wait(timeout):
            raise TimeoutError("the server loop did not close its connections")
        return closed[0]

    # -- what happened ------------------------------------------------------------------

    @property
    def connections(self) -> int:
        with self._state.lock:
            return self._state.connections

    @property
    def open_connections(self) -> int:
        with self._state.lock:
            return len(self._state.live)

    @property
    def transactions(self) -> int:
        """MAIL commands seen."""
        with self._state.lock:
            return self._state.transactions

    @property
    def auth_commands(self) -> int:
        with self._state.lock:
            return self._state.auth_commands

    @property
    def quits(self) -> int:
        with self._state.lock:
            return self._state.quits

    @property
    def received(self) -> list[Received]:
        """Messages the server accepted (answered 250)."""
        with self._state.lock:
            return list(self._state.received)

    @property
    def data_seen(self) -> list[Received]:
        """Every message read to its final dot, whatever the server answered then."""
        with self._state.lock:
            return list(self._state.data_seen)
