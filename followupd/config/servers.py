"""Settings of the mail servers a mailbox uses (IMAP, SMTP) and of DKIM signing, with the
secret references they carry (passwords and keys are never written inline).

Re-exported by :mod:`followupd.config.models`, which builds the mailbox and the whole file on
them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TlsMode = Literal["implicit", "starttls", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(BaseModel):
    """Where a secret comes from: exactly one of env, file or systemd credential."""

    model_config = ConfigDict(frozen=True)
    env: str | None = None
    file: Path | None = None
    credential: str | None = None

    def describe(self) -> str:
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.file is not None:
            return f"file {self.file}"
        return f"systemd credential {self.credential}"


def _secret_ref(obj: Any, prefix: str) -> SecretRef:
    """Build the SecretRef from the flat ``<prefix>_env|_file|_credential`` keys."""
    env = getattr(obj, f"{prefix}_env")
    file = getattr(obj, f"{prefix}_file")
    credential = getattr(obj, f"{prefix}_credential")
    given = [v for v in (env, file, credential) if v is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of {prefix}_env, {prefix}_file or {prefix}_credential "
            "(secrets are never written inline)"
        )
    return SecretRef(env=env, file=file, credential=credential)


class ServerSettings(_Strict):
    """One IMAP or SMTP server login."""

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    tls: TlsMode = "implicit"
    user: str = Field(min_length=1)
    password_env: str | None = None
    password_file: Path | None = None
    password_credential: str | None = None
    # Sending a password over an unencrypted connection is refused unless the admin says so,
    # e.g. for a relay on the same host.
    allow_plaintext: bool = False
    timeout_seconds: float = Field(default=60.0, gt=0)

    @property
    def password(self) -> SecretRef:
        return _secret_ref(self, "password")

    @model_validator(mode="after")
    def _plaintext(self) -> ServerSettings:
        _secret_ref(self, "password")
        if self.tls == "none" and not self.allow_plaintext:
            raise ValueError(
                'tls = "none" would send the password in clear text; '
                'use "implicit" or "starttls", or set allow_plaintext = true'
            )
        return self


class ImapSettings(ServerSettings):
    port: int = Field(default=993, ge=1, le=65535)
    # Watched besides the Sent folder, which has its own key.
    folders: tuple[str, ...] = ("INBOX",)
    idle: bool = True
    # How often to poll when the server has no IDLE, and as a safety net while idling.
    poll_seconds: float = Field(default=60.0, gt=0)
    # "auto" finds the Sent folder on the server, "" leaves Sent unwatched, anything else
    # names the folder: its name differs by provider and by the language of the account.
    sent_folder: str = "auto"
    # Names to try first when looking for the Sent folder; servers without SPECIAL-USE often
    # call it something local ("已发送", "Sent Messages").
    sent_folder_hints: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    # Some servers (NetEase) refuse SELECT until the client has identified itself with ID
    # (RFC 2971); "auto" sends it whenever the server advertises the capability.
    send_id: bool | Literal["auto"] = "auto"

    @field_validator("send_id", mode="before")
    @classmethod
    def _send_id(cls, v: object) -> object:
        # One plain message instead of one per member of the union; and no "yes" or 1.
        if v is True or v is False or v == "auto":
            return v
        raise ValueError('expected true, false or "auto"')


class SmtpSettings(ServerSettings):
    port: int = Field(default=465, ge=1, le=65535)
    # Providers suspend a mailbox that sends more than its daily quota, taking the rep's own
    # mail down with it; followupd holds follow-ups back before that. None: no limit.
    daily_limit: int | None = Field(default=None, ge=1, strict=True)
    # Minutes at least between two sends from this mailbox, so a burst of due follow-ups
    # does not look like bulk mail to the provider. None: [timing] min_gap_minutes.
    min_gap_minutes: int | None = Field(default=None, ge=0, le=720, strict=True)
    # Whether the provider files what its SMTP server accepts into the Sent folder (Gmail,
    # Microsoft 365 do). When it does not, followupd APPENDs the very bytes it sent.
    saves_sent: bool = False
    # Seconds to look for a send in doubt in Sent before "not there" counts (providers file
    # the copy a moment after accepting the mail).
    sent_copy_wait_seconds: float = Field(default=20.0, ge=0, le=300)
    # Seconds an SMTP connection is kept open after a send, for the next one of a burst.
    reuse_seconds: float = Field(default=30.0, ge=0, le=300)


class DkimSettings(_Strict):
    """DKIM signing of the follow-ups by followupd itself, for relays that do not sign."""

    # One or more DNS labels; the public key is published at <selector>._domainkey.<domain>.
    selector: str
    # None: the domain of the mailbox's rep_address, which DkimSigner takes from there, so
    # the signature aligns with From for DMARC without the domain being written twice.
    domain: str | None = None
    algorithm: Literal["rsa-sha256", "ed25519-sha256"] = "rsa-sha256"
    key_env: str | None = None
    key_file: Path | None = None
    key_credential: str | None = None
    # The header fields the signature covers: those a relay must not change and a forger
    # would want to. A field named here but absent from a mail is signed as absent, so it
    # cannot be added on the way either.
    headers: tuple[str, ...] = (
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "MIME-Version",
        "Content-Type",
    )

    @field_validator("selector")
    @classmethod
    def _selector(cls, v: str) -> str:
        if not cls._is_dns_name(v):
            raise ValueError(
                "expected a DNS label such as mail2025 (letters, digits and -, not at either "
                "end), or several joined by dots"
            )
        return v

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is None:
            return None
        name = v.lower().removesuffix(".")
        if "." not in name or not cls._is_dns_name(name):
            raise ValueError("expected a domain name such as example.com")
        return name

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [h for h in v if not h or any(not 33 <= ord(c) <= 126 or c == ":" for c in h)]
        if bad:
            raise ValueError(f"not header field names: {', '.join(map(repr, bad))}")
        if "from" not in (h.lower() for h in v):
            raise ValueError("must include From: DKIM (RFC 6376) requires it to be signed")
        # Fields that are added or removed on the way (RFC 6376 section 5.4.1) would break
        # the signature of every mail; dkimpy refuses to sign them.
        unsignable = ("return-path", "received", "comments", "keywords", "bcc", "resent-bcc")
        refused = [h for h in v if h.lower() in (*unsignable, "dkim-signature")]
        if refused:
            raise ValueError(f"must not include {', '.join(refused)}: they change in transit")
        # Each field once, as first written: the signer itself decides which field is signed
        # once more than it occurs (From, so that no second From can be added).
        unique: dict[str, str] = {}
        for h in v:
            unique.setdefault(h.lower(), h)
        return tuple(unique.values())

    @staticmethod
    def _is_dns_name(name: str) -> bool:
        return all(
            0 < len(label) <= 63
            and label.isascii()
            and label.replace("-", "").isalnum()
            and not label.startswith("-")
            and not label.endswith("-")
            for label in name.split(".")
        )

    @property
    def key(self) -> SecretRef:
        return _secret_ref(self, "key")

    @model_validator(mode="after")
    def _one(self) -> DkimSettings:
        _secret_ref(self, "key")
        return self
