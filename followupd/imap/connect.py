"""Opening an authenticated IMAP connection as the config says."""

from __future__ import annotations

import contextlib
import socket
import ssl

from imapclient import IMAPClient

from followupd.config import ImapSettings


def open_imap(settings: ImapSettings, password: str) -> IMAPClient:
    """Connect, secure and log in; the caller owns (and must log out) the client."""
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
    except Exception:
        _close_quietly(client)
        raise
    return client


def _close_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(OSError):
        client.shutdown()
