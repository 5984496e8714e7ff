"""TOML configuration → frozen, validated settings.

Loading is two passes: the file is validated against the models below (unknown keys are
errors, so a typo never silently does nothing), then every secret reference is resolved from
the environment, a file, or systemd's ``$CREDENTIALS_DIRECTORY``. All problems of both passes
are collected and reported together, each naming the key, the bad value and what is expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from followupd.errors import ConfigError

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TlsMode = Literal["implicit", "starttls", "none"]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _check_tz(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("expected an IANA timezone name such as Europe/Berlin") from exc
    return name


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
    folders: tuple[str, ...] = ("INBOX",)
    idle: bool = True
    # How often to poll when the server has no IDLE, and as a safety net while idling.
    poll_seconds: float = Field(default=60.0, gt=0)


class SmtpSettings(ServerSettings):
    port: int = Field(default=465, ge=1, le=65535)


class MailboxSettings(_Strict):
    """One rep's mailbox."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    rep_address: Email
    rep_name: str = Field(min_length=1)
    rep_phone: str | None = None
    # The rep's own timezone: review mails show send times in it.
    rep_timezone: str = "UTC"
    default_cadence: str = "pi"
    language: str = "en"
    imap: ImapSettings
    smtp: SmtpSettings

    @field_validator("rep_address")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()

    @field_validator("rep_timezone")
    @classmethod
    def _rep_tz(cls, v: str) -> str:
        return _check_tz(v)


class WorkingHoursSettings(_Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: tuple[str, ...] = _WEEKDAYS[:5]

    @field_validator("workdays")
    @classmethod
    def _days(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in v if d not in _WEEKDAYS]
        if bad or not v:
            raise ValueError(f"expected weekday names from {', '.join(_WEEKDAYS)}")
        return v

    @model_validator(mode="after")
    def _order(self) -> WorkingHoursSettings:
        if (self.end.hour - self.start.hour) < 2:
            raise ValueError("end must be at least two hours after start")
        return self

    def workday_numbers(self) -> frozenset[int]:
        return frozenset(_WEEKDAYS.index(d) for d in self.workdays)


class CompanySettings(_Strict):
    """The seller's profile, used by templates. Bank details will only ever come from here."""

    name: str = Field(min_length=1)
    website: str | None = None
    products: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()


class DaemonSettings(_Strict):
    database_url: str = "sqlite+aiosqlite:///followupd.db"
    default_timezone: str = "UTC"
    cadence_file: Path | None = None
    template_dirs: tuple[Path, ...] = ()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_tz(v)

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected a sqlite+aiosqlite:///PATH or postgresql+asyncpg://… URL")
        return v


class ApprovalSettings(_Strict):
    """The key that signs per-draft approval tokens."""

    secret_env: str | None = None
    secret_file: Path | None = None
    secret_credential: str | None = None

    @property
    def secret(self) -> SecretRef:
        return _secret_ref(self, "secret")

    @model_validator(mode="after")
    def _one(self) -> ApprovalSettings:
        _secret_ref(self, "secret")
        return self


class Settings(_Strict):
    """The whole validated configuration."""

    daemon: DaemonSettings = DaemonSettings()
    working_hours: WorkingHoursSettings = WorkingHoursSettings()
    approval: ApprovalSettings
    company: CompanySettings
    mailbox: tuple[MailboxSettings, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        names = [m.name for m in self.mailbox]
        if len(set(names)) != len(names):
            raise ValueError("mailbox names must be unique")
        return self


class Secrets:
    """Resolved secret values, keyed by the dotted config key; never printed."""

    def __init__(self, values: Mapping[str, SecretStr]) -> None:
        self._values = dict(values)

    def get(self, key: str) -> str:
        return self._values[key].get_secret_value()

    def __repr__(self) -> str:
        return f"Secrets({sorted(self._values)})"


class LoadedConfig:
    """Settings plus their resolved secrets, and where the file was."""

    def __init__(self, settings: Settings, secrets: Secrets, path: Path | None) -> None:
        self.settings = settings
        self.secrets = secrets
        self.path = path

    def approval_secret(self) -> bytes:
        return self.secrets.get("approval.secret").encode()

    def password(self, mailbox: str, server: Literal["imap", "smtp"]) -> str:
        return self.secrets.get(f"mailbox.{mailbox}.{server}.password")


def load_config(path: Path, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, validate and resolve the config file at ``path``; raise ConfigError on problems."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file ({exc.strerror})"]) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    return load_config_data(data, env=env, path=path)


def load_config_data(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, path: Path | None = None
) -> LoadedConfig:
    """Validate already-parsed TOML data and resolve its secrets."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, data)) from exc
    secrets, problems = _resolve_secrets(settings, os.environ if env is None else env)
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(settings, secrets, path)


def _resolve_secrets(settings: Settings, env: Mapping[str, str]) -> tuple[Secrets, list[str]]:
    refs: dict[str, tuple[str, SecretRef]] = {
        "approval.secret": ("approval.secret", settings.approval.secret)
    }
    for i, mb in enumerate(settings.mailbox):
        for server in ("imap", "smtp"):
            ref = getattr(mb, server).password
            refs[f"mailbox.{mb.name}.{server}.password"] = (f"mailbox[{i}].{server}.password", ref)
    # Show the key the admin wrote (password_env, secret_file, ...).
    refs = {k: (f"{shown}_{_ref_kind(ref)}", ref) for k, (shown, ref) in refs.items()}
    values: dict[str, SecretStr] = {}
    problems: list[str] = []
    for key, (shown, ref) in refs.items():
        value, problem = _read_secret(ref, env)
        if problem is None and key == "approval.secret" and value and len(value) < 16:
            problem = (
                f"{ref.describe()} holds {len(value)} characters; expected at least 16 random "
                "ones (a short key makes approval tokens guessable)"
            )
        if problem:
            problems.append(f"{shown}: {problem}")
        elif value is not None:
            values[key] = SecretStr(value)
    return Secrets(values), problems


def _ref_kind(ref: SecretRef) -> str:
    if ref.env is not None:
        return "env"
    return "file" if ref.file is not None else "credential"


def _read_secret(ref: SecretRef, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    if ref.env is not None:
        value = env.get(ref.env)
        if not value:
            return None, f"environment variable {ref.env} is not set (expected the secret)"
        return value, None
    if ref.file is not None:
        file = ref.file
    else:
        creds = env.get("CREDENTIALS_DIRECTORY")
        if not creds:
            return None, (
                f"systemd credential {ref.credential!r} requested but CREDENTIALS_DIRECTORY "
                "is not set (expected LoadCredential= in the unit)"
            )
        file = Path(creds) / str(ref.credential)
    try:
        value = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        return None, f"{ref.describe()} cannot be read ({exc.strerror})"
    if not value:
        return None, f"{ref.describe()} is empty (expected the secret)"
    return value, None


def _explain(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    errors = exc.errors()
    locs = [e["loc"] for e in errors]
    for err in errors:
        loc = err["loc"]
        # A list whose item failed is also reported as "too short"; the item's error says it.
        if err["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue
        key = _dotted(loc)
        if err["type"] == "extra_forbidden":
            expected = _known_keys(loc[:-1])
            hint = f" (expected one of: {', '.join(expected)})" if expected else ""
            problems.append(f"{key}: unknown key{hint}")
            continue
        if err["type"] == "missing":
            problems.append(f"{key}: missing (required)")
            continue
        value = err.get("input")
        # Only scalars are echoed: a table could hold a secret someone wrote inline.
        scalar = isinstance(value, str | int | float | bool) and len(repr(value)) <= 80
        shown = f" = {value!r}" if scalar else ""
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{key}{shown}: {msg}")
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model accepts at ``loc`` (for 'did you mean' style hints)."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        candidates = [a for a in (args or (annotation,)) if isinstance(a, type)]
        nxt = next((c for c in candidates if issubclass(c, BaseModel)), None)
        if nxt is None:
            return []
        model = nxt
    return sorted(model.model_fields)


def summary(cfg: LoadedConfig) -> str:
    """A one-screen description of the configuration, without secrets."""
    s = cfg.settings
    lines = [
        f"config: {cfg.path}" if cfg.path else "config: (in memory)",
        f"database: {_redact_url(s.daemon.database_url)}",
        f"default buyer timezone: {s.daemon.default_timezone}",
        f"working hours: {s.working_hours.start:%H:%M}-{s.working_hours.end:%H:%M} "
        f"on {', '.join(s.working_hours.workdays)}",
        f"cadence file: {s.daemon.cadence_file or '(shipped defaults)'}",
        f"template dirs: {', '.join(map(str, s.daemon.template_dirs)) or '(shipped library)'}",
        f"company: {s.company.name}",
        f"approval secret: from {s.approval.secret.describe()}",
    ]
    for mb in s.mailbox:
        lines.append(
            f"mailbox {mb.name}: rep {mb.rep_name} <{mb.rep_address}>, cadence {mb.default_cadence}"
        )
        lines.append(
            f"  imap {mb.imap.host}:{mb.imap.port} ({mb.imap.tls}) as {mb.imap.user}, "
            f"folders {', '.join(mb.imap.folders)}, {'IDLE' if mb.imap.idle else 'polling'}"
        )
        lines.append(f"  smtp {mb.smtp.host}:{mb.smtp.port} ({mb.smtp.tls}) as {mb.smtp.user}")
    return "\n".join(lines)


def _redact_url(url: str) -> str:
    # A password in the database URL must never reach a terminal or a log.
    head, sep, tail = url.partition("://")
    if "@" in tail:
        creds, _, rest = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest}" if ":" in creds else url
    return url
