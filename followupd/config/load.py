"""Reading a config file: validation, secret resolution, and errors written for the admin.

All problems of both passes are collected and reported together, each naming the key, the bad
value and what is expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from followupd.config.models import Settings
from followupd.config.secrets import Secrets, resolve_secrets
from followupd.errors import ConfigError


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
    secrets, problems = resolve_secrets(settings, os.environ if env is None else env)
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(settings, secrets, path)


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
        f"database: {redact_url(s.daemon.database_url)}",
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


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ***."""
    # A password in the database URL must never reach a terminal or a log.
    head, sep, tail = url.partition("://")
    if "@" in tail:
        creds, _, rest = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest}" if ":" in creds else url
    return url
