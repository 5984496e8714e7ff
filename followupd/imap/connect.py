"""Opening an authenticated IMAP connection as the config says."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from importlib import metadata
from typing import Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from followupd.config import ImapSettings

log = logging.getLogger(__name__)


def open_imap(settings: ImapSettings, password: str) -> IMAPClient:
    """Connect, secure, log in and identify; the caller owns (and must log out) the client."""
    context = ssl.create_default_context()
    client = IMAPClient(
        settings.host,
        port=settings.port,
        ssl=settings.tls == "implicit",
        ssl_context=context if settings.tls == "implicit" else None,
        timeout=settings.timeout_seconds,
    )
    try:
        # Without TCP_NODELAY every command waits on Nagle's algorithm and delayed ACKs
        # (tens of milliseconds each), which slows sync and delays IDLE pushes.
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if settings.tls == "starttls":
            client.starttls(context)
        client.login(settings.user, password)
        identify(client, settings.send_id, host=settings.host)
    except Exception:
        _close_quietly(client)
        raise
    return client


def identify(client: IMAPClient, mode: bool | Literal["auto"], *, host: str) -> None:
    """Send the IMAP ID command (RFC 2971) on a logged-in ``client`` as ``mode`` says.

    NetEase's servers answer SELECT with "Unsafe Login" until the client has identified
    itself, so ``True`` sends ID even to a server that does not advertise it, and its failure
    is an error. Under ``"auto"`` ID goes only to servers that advertise it, and a refusal is
    logged and otherwise ignored: most servers work just as well without.
    """
    if mode is False:
        return
    offered = client.has_capability("ID")
    if mode == "auto" and not offered:
        return
    params = {"name": "followupd", "version": _version()}
    # imapclient's id_() refuses servers that do not list ID; an admin who set send_id = true
    # knows better, so go around that check (the command itself is the same).
    send = IMAPClient.id_ if offered else getattr(IMAPClient.id_, "__wrapped__", IMAPClient.id_)
    try:
        reply = send(client, params)
    except IMAPClientAbortError:
        raise  # the connection is gone; nothing to go on with
    except IMAPClientError as exc:
        if mode is True:
            raise
        log.warning("imap %s: the server refused ID; going on without it: %s", host, _short(exc))
        return
    log.debug("imap %s: server identifies as %r", host, reply)


def _version() -> str:
    try:
        return metadata.version("followupd")
    except metadata.PackageNotFoundError:
        # Running from a source tree that was never installed.
        return "dev"


def _short(exc: BaseException) -> str:
    # Only the error's class and first line: server replies can echo what was sent.
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}"


def _close_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(OSError):
        client.shutdown()
