"""Sending mail over SMTP with aiosmtplib, so that a buyer never gets two copies.

The one moment that can break that promise is the wait for the reply to the end of the
message: when the connection drops then, or the client stops waiting, the server may have
taken the message or not. Such a send is ``ambiguous`` and must not be repeated blindly.
Anything that fails before the end of the message was written cannot have been accepted.
The transaction is therefore made of aiosmtplib's single commands (MAIL, RCPT, DATA), which
puts the line between the two cases exactly at DATA.

Timeouts are RFC 5321's minima or longer: a client that gives up early on a slow server is
how duplicates are made (the server delivers after all, and the client sends again).

A logged-in connection is kept for ``reuse_seconds`` after a send, so that a burst of due
follow-ups does not log in once per message; one transaction at a time per sender.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosmtplib
from aiosmtplib import (
    SMTPException,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
)

from followupd.config import SmtpSettings
from followupd.smtp.replies import SendError, SendKind, clip, describe, failure, no_reply, refusal

__all__ = ["SendError", "SendKind", "SmtpSender", "Timeouts", "timeouts"]

log = logging.getLogger(__name__)

# The minimum client timeouts of RFC 5321 §4.5.3.2, in seconds.
GREETING_TIMEOUT = 5 * 60.0  # §4.5.3.2.1, the initial 220 message
MAIL_TIMEOUT = 5 * 60.0  # §4.5.3.2.2, MAIL
RCPT_TIMEOUT = 5 * 60.0  # §4.5.3.2.3, RCPT
DATA_INIT_TIMEOUT = 2 * 60.0  # §4.5.3.2.4, DATA until the 354
DATA_BLOCK_TIMEOUT = 3 * 60.0  # §4.5.3.2.5, each block of message data
DATA_END_TIMEOUT = 10 * 60.0  # §4.5.3.2.6, the reply to the final dot
# EHLO, STARTTLS and AUTH have no minimum of their own there; they get MAIL's.
COMMAND_TIMEOUT = MAIL_TIMEOUT

# A line starting with "." is sent with one more (RFC 5321 §4.5.2).
_DOT_START = re.compile(rb"(?m)^\.")
# A CR or LF that is not part of a CRLF pair.
_BARE_EOL = re.compile(rb"\r(?!\n)|(?<!\r)\n")


@dataclass(frozen=True, kw_only=True)
class Timeouts:
    """How long the client waits at each step of a session, in seconds."""

    connect: float
    greeting: float
    command: float
    mail: float
    rcpt: float
    data_init: float
    data: float
    probe: float


def timeouts(settings: SmtpSettings) -> Timeouts:
    """The timeouts for ``settings``: ``timeout_seconds`` lengthens RFC 5321's, never shortens.

    Only the TCP connection itself and the RSET/QUIT around a kept connection use
    ``timeout_seconds`` as it is: giving up on them early cannot deliver anything twice.
    """
    own = settings.timeout_seconds
    return Timeouts(
        connect=own,
        greeting=max(GREETING_TIMEOUT, own),
        command=max(COMMAND_TIMEOUT, own),
        mail=max(MAIL_TIMEOUT, own),
        rcpt=max(RCPT_TIMEOUT, own),
        # The message is handed to the transport at once, so the clock for the final reply
        # starts while the message may still be on its way. The wait therefore allows a
        # data block's time on top of the termination minimum.
        data_init=max(DATA_INIT_TIMEOUT, own),
        data=max(DATA_END_TIMEOUT + DATA_BLOCK_TIMEOUT, DATA_INIT_TIMEOUT, own),
        probe=own,
    )


class SmtpSender:
    """Sends messages through one mailbox's SMTP server, one transaction at a time."""

    def __init__(
        self, settings: SmtpSettings, password: str, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._settings = settings
        self._password = password
        self._tls_context = tls_context
        self._timeouts = timeouts(settings)
        self._lock = asyncio.Lock()
        self._client: aiosmtplib.SMTP | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._ehlo_name: str | None = None

    async def send(
        self,
        raw: bytes,
        *,
        sender: str,
        recipients: Sequence[str],
        before_mail: Callable[[], Awaitable[bool]] | None = None,
        before_end_of_data: Callable[[], Awaitable[None]] | None = None,
    ) -> str | None:
        """Transmit ``raw`` to ``recipients``; return the server's reply to it, e.g. "250 OK".

        ``raw`` goes out byte for byte (only dot-stuffed, as SMTP requires), so it must end
        every line with CRLF: the same bytes are filed in Sent and may carry a DKIM signature.
        Raises :class:`SendError` unless the server accepted the message. A task cancelled
        while this runs may have had its message accepted, as with an ``ambiguous`` error.

        ``before_mail`` runs once logged in, right before MAIL FROM; when it returns False the
        transaction does not start and None is returned. ``before_end_of_data`` runs when the
        whole message but the final "." has been written: until that line the server cannot
        have taken the message, so what is recorded there tells a restart the truth.
        """
        _check_wire_form(raw)
        rcpts = list(recipients)
        if not rcpts:
            raise ValueError("send() needs at least one recipient")
        async with self._lock:
            self._stop_expiry()
            try:
                client = await self._session()
                if before_mail is not None and not await before_mail():
                    # Nothing was said: the connection stays good for the next send.
                    await self._keep(client)
                    return None
                reply = await self._transaction(client, raw, sender, rcpts, before_end_of_data)
            except SendError as exc:
                # A connection that saw an error is in a state nobody should build on.
                self._discard()
                log.warning("smtp: %s", exc)
                raise
            except BaseException:
                self._discard()
                raise
            text = f"{reply.code} {reply.message}"
            log.info("smtp: accepted (%s)", clip(text))
            await self._keep(client)
            return text

    async def close(self) -> None:
        """QUIT the kept connection, if any; calling it again does nothing."""
        async with self._lock:
            self._stop_expiry()
            await self._quit()

    # -- the connection ---------------------------------------------------------------

    async def _session(self) -> aiosmtplib.SMTP:
        """A logged-in connection: the kept one if it still answers, else a new one."""
        kept = self._client
        if kept is not None:
            if await self._answers(kept):
                return kept
            # Nothing of this message went over the old connection, so a new one cannot
            # make a second copy.
            self._discard()
        self._client = await self._connect()
        return self._client

    async def _answers(self, client: aiosmtplib.SMTP) -> bool:
        if not client.is_connected:
            log.info("smtp: the server closed the kept connection; reconnecting")
            return False
        try:
            await client.rset(timeout=self._timeouts.probe)
        except (SMTPException, OSError) as exc:
            log.info("smtp: the kept connection failed RSET (%s); reconnecting", describe(exc))
            return False
        return True

    async def _connect(self) -> aiosmtplib.SMTP:
        s, t = self._settings, self._timeouts
        if self._ehlo_name is None:
            # Looked up before the socket exists, so that no wait lies between opening the
            # socket and handing it to aiosmtplib, which then owns and closes it.
            self._ehlo_name = await asyncio.to_thread(socket.getfqdn)
        try:
            sock = await _open_socket(s.host, s.port, t.connect)
        except OSError as exc:
            raise SendError(
                f"cannot connect to {s.host}:{s.port}: {describe(exc)}", kind="temporary"
            ) from exc
        client = aiosmtplib.SMTP(
            hostname=s.host,
            sock=sock,
            local_hostname=self._ehlo_name,
            use_tls=s.tls == "implicit",
            # Never aiosmtplib's default (None: STARTTLS when offered, else go on in clear);
            # what a "starttls" server must offer is checked below.
            start_tls=False,
            tls_context=self._context() if s.tls != "none" else None,
            timeout=t.command,
        )
        step = "greeting"
        try:
            await client.connect(timeout=t.greeting)
            step = "EHLO"
            await client.ehlo(timeout=t.command)
            if s.tls == "starttls":
                if not client.supports_extension("starttls"):
                    raise SendError(
                        "the server offers no STARTTLS; refusing to log in in clear text",
                        kind="permanent",
                    )
                step = "STARTTLS"
                await client.starttls(timeout=t.command)
                # RFC 3207 §4.2: what the server said before TLS no longer counts.
                step = "EHLO"
                await client.ehlo(timeout=t.command)
            if s.tls != "none" and client.get_transport_info("sslcontext") is None:
                raise SendError(
                    "the connection is not encrypted; refusing to log in", kind="permanent"
                )
            if not client.supported_auth_methods:
                offered = " ".join(client.server_auth_methods) or "no AUTH"
                raise SendError(
                    f"the server offers no login method this client has ({offered})",
                    kind="permanent",
                )
            step = "AUTH"
            await client.login(s.user, self._password, timeout=t.command)
        except SendError:
            client.close()
            raise
        except SMTPResponseException as exc:
            client.close()
            raise refusal(step, exc.code, exc.message) from exc
        except (SMTPException, OSError) as exc:
            client.close()
            raise failure(step, exc) from exc
        except BaseException:
            client.close()
            raise
        return client

    def _context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context()
        return self._tls_context

    async def _transaction(
        self,
        client: aiosmtplib.SMTP,
        raw: bytes,
        sender: str,
        rcpts: list[str],
        before_end_of_data: Callable[[], Awaitable[None]] | None,
    ) -> SMTPResponse:
        t = self._timeouts
        step = "MAIL"
        try:
            options, encoding = _envelope(client, raw, sender, rcpts)
            await client.mail(sender, options=options, encoding=encoding, timeout=t.mail)
            for rcpt in rcpts:
                step = f"RCPT {rcpt}"
                await client.rcpt(rcpt, encoding=encoding, timeout=t.rcpt)
            step = "DATA"
            start = await client.execute_command(b"DATA", timeout=t.data_init)
        except SMTPResponseException as exc:
            raise refusal(step, exc.code, exc.message) from exc
        except (SMTPException, OSError) as exc:
            raise failure(step, exc) from exc
        except ValueError as exc:
            # aiosmtplib refuses control characters in an address, and ASCII cannot encode
            # every address; neither gets better by trying again.
            raise SendError(f"{step}: unusable address: {exc}", kind="permanent") from exc
        if start.code != 354:
            raise refusal("DATA", start.code, start.message)
        # The message is written by hand rather than with data(), which writes it and the
        # final "." in one go: the caller records "the end is next" in between, and until
        # the "." is written the server cannot have taken the message.
        protocol = client.protocol
        try:
            if protocol is None:
                raise SMTPServerDisconnected("Connection lost")
            protocol.write(_DOT_START.sub(b"..", raw))
        except (SMTPException, OSError) as exc:
            raise failure("DATA", exc) from exc
        if before_end_of_data is not None:
            await before_end_of_data()
        try:
            protocol.write(b".\r\n")
        except (SMTPException, OSError) as exc:
            raise failure("DATA", exc) from exc
        try:
            reply = await protocol.read_response(timeout=t.data)
        except Exception as exc:
            client.close()
            raise no_reply(exc) from exc
        if 200 <= reply.code <= 299:
            return reply
        if 400 <= reply.code <= 599:
            raise refusal("end of DATA", reply.code, reply.message)
        raise no_reply(SMTPResponseException(reply.code, reply.message))

    async def _keep(self, client: aiosmtplib.SMTP) -> None:
        reuse = self._settings.reuse_seconds
        if reuse <= 0:
            await self._quit()
            return
        self._expiry = asyncio.create_task(self._expire(client, reuse), name="smtp-idle-quit")

    async def _expire(self, client: aiosmtplib.SMTP, after: float) -> None:
        await asyncio.sleep(after)
        async with self._lock:
            if self._client is client:
                # From here on this task must not be cancelled by a send waiting for the lock.
                self._expiry = None
                await self._quit()

    def _stop_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    async def _quit(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        if client.is_connected:
            try:
                await client.quit(timeout=self._timeouts.probe)
            except (SMTPException, OSError) as exc:
                log.debug("smtp: QUIT failed: %s", describe(exc))
        client.close()

    def _discard(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


async def _open_socket(host: str, port: int, patience: float) -> socket.socket:
    """A TCP connection to ``host``, trying its addresses in turn, each for ``patience``."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(patience):
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    error: OSError = OSError(f"no address found for {host}")
    for family, type_, proto, _, address in infos:
        sock = socket.socket(family, type_, proto)
        try:
            sock.setblocking(False)
            async with asyncio.timeout(patience):
                await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise error


def _check_wire_form(raw: bytes) -> None:
    if not isinstance(raw, bytes):
        raise TypeError(f"send() takes the message as bytes, not {type(raw).__name__}")
    if not raw.endswith(b"\r\n") or _BARE_EOL.search(raw):
        # aiosmtplib would rewrite such line endings, and the bytes on the wire would no
        # longer be the bytes filed in Sent or signed.
        raise ValueError("the message must end every line, the last one too, with CRLF")


def _envelope(
    client: aiosmtplib.SMTP, raw: bytes, sender: str, rcpts: list[str]
) -> tuple[list[str], str]:
    """MAIL FROM options and the encoding of the addresses (RFC 6152, RFC 6531)."""
    options = []
    if not raw.isascii() and client.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")
    if all(address.isascii() for address in (sender, *rcpts)):
        return options, "ascii"
    if not client.supports_extension("smtputf8"):
        raise SendError(
            "an address is not ASCII and the server does not offer SMTPUTF8", kind="permanent"
        )
    return [*options, "SMTPUTF8"], "utf-8"
