"""Sending mail over SMTP with aiosmtplib."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

import aiosmtplib

from followupd.config import SmtpSettings

log = logging.getLogger(__name__)


class SendError(Exception):
    """A send failed; ``permanent`` is True for 5xx replies (do not retry)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmtpSender:
    """Sends messages through one mailbox's SMTP server."""

    def __init__(self, settings: SmtpSettings, password: str) -> None:
        self._settings = settings
        self._password = password

    async def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str]) -> None:
        """Deliver ``message`` to ``recipients``; raise SendError on failure."""
        s = self._settings
        context = ssl.create_default_context()
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.tls == "implicit",
            start_tls=s.tls == "starttls",
            tls_context=context,
            # RFC 5321 §4.5.3.2 asks clients to wait minutes for the final reply to DATA;
            # giving up early is how duplicates are made.
            timeout=max(s.timeout_seconds, 60.0),
        )
        try:
            await client.connect()
            await client.login(s.user, self._password)
            await client.send_message(message, sender=sender, recipients=list(recipients))
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            raise SendError(f"SMTP {exc.code}: {exc.message[:200]}", permanent=permanent) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendError(f"{type(exc).__name__}: {str(exc)[:200]}", permanent=False) from exc
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        log.info("smtp: sent %s", message.get("Message-ID", "?"))
