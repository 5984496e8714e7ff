"""Reading a config file: presets, validation, secret resolution, and errors for the admin.

A mailbox's ``provider`` preset fills in the keys its tables leave out before anything is
validated, so a preset value is checked exactly like one the admin wrote. All problems of all
passes are collected and reported together, each naming the key, the bad value and what is
expected.
"""

from __future__ import annotations

import copy
import functools
import os
import tomllib
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from followupd.config.models import PROVIDERS, MailboxSettings, Settings
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
    return load_config_data(_read_toml(path), env=env, path=path)


def load_settings(path: Path) -> Settings:
    """Read and validate the config file at ``path`` without resolving its secrets.

    For commands that only look at settings (``followupd when``), so they run where the
    mailbox passwords are not available.
    """
    merged, unknown = apply_presets(_read_toml(path))
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError([*unknown.values(), *_explain(exc, merged, skip=unknown)]) from exc


def _read_toml(path: Path) -> dict[str, Any]:
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
    return data


def load_config_data(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, path: Path | None = None
) -> LoadedConfig:
    """Apply provider presets to already-parsed TOML data, validate it and resolve its secrets."""
    merged, unknown = apply_presets(data)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError([*unknown.values(), *_explain(exc, merged, skip=unknown)]) from exc
    secrets, problems = resolve_secrets(settings, os.environ if env is None else env)
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(settings, secrets, path)


@functools.cache
def provider_presets() -> dict[str, dict[str, Any]]:
    """The shipped presets by provider name (callers must not change them)."""
    text = resources.files("followupd.config").joinpath("providers.toml").read_text("utf-8")
    return tomllib.loads(text)


def provider_note(name: str) -> str:
    """The one-line hint that goes with a provider's preset."""
    note: str = provider_presets()[name].get("note", "")
    return note


def apply_presets(
    data: Mapping[str, Any],
) -> tuple[Mapping[str, Any], dict[tuple[int | str, ...], str]]:
    """``data`` with each mailbox's provider preset filled in; also the unknown providers.

    Only keys the admin left out are filled, table by table, so an explicit key always wins.
    ``data`` itself is not changed. Unknown provider names come back as problems by key.
    """
    mailboxes = data.get("mailbox")
    if not isinstance(mailboxes, list):
        return data, {}
    presets = provider_presets()
    unknown: dict[tuple[int | str, ...], str] = {}
    merged: list[Any] = []
    for i, mailbox in enumerate(mailboxes):
        name = mailbox.get("provider") if isinstance(mailbox, Mapping) else None
        if name is None:
            merged.append(mailbox)
            continue
        if name not in PROVIDERS or name not in presets:
            shown = f" = {name!r}" if isinstance(name, str | int | float | bool) else ""
            unknown[("mailbox", i, "provider")] = (
                f"mailbox[{i}].provider{shown}: unknown provider "
                f"(expected one of: {', '.join(PROVIDERS)})"
            )
            merged.append(mailbox)
            continue
        defaults = {k: v for k, v in presets[name].items() if k != "note"}
        merged.append(_fill(mailbox, defaults))
    return {**data, "mailbox": merged}, unknown


def _fill(explicit: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(explicit)
    for key, value in preset.items():
        if key not in out:
            # A copy: the presets are cached and shared by every load.
            out[key] = copy.deepcopy(value)
        elif isinstance(value, Mapping) and isinstance(out[key], Mapping):
            out[key] = _fill(out[key], value)
    return out


def _explain(
    exc: ValidationError,
    data: Mapping[str, Any],
    skip: Collection[tuple[int | str, ...]] = (),
) -> list[str]:
    problems: list[str] = []
    errors = exc.errors()
    locs = [e["loc"] for e in errors]
    for err in errors:
        loc = err["loc"]
        # Already reported in the admin's terms (an unknown provider name).
        if loc in skip:
            continue
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
            problems.append(f"{key}: missing (required{_not_in_preset(loc, data)})")
            continue
        value = err.get("input")
        # Only scalars are echoed: a table could hold a secret someone wrote inline.
        scalar = isinstance(value, str | int | float | bool) and len(repr(value)) <= 80
        shown = f" = {value!r}" if scalar else ""
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{key}{shown}: {msg}")
    return problems


def _not_in_preset(loc: tuple[int | str, ...], data: Mapping[str, Any]) -> str:
    # A preset without a host (dovecot) leaves the admin to give it; say so, or the admin
    # may well wonder why the preset did not fill it in.
    if len(loc) < 3 or loc[0] != "mailbox" or not isinstance(loc[1], int):
        return ""
    mailboxes = data.get("mailbox")
    mailbox = mailboxes[loc[1]] if isinstance(mailboxes, list) else None
    provider = mailbox.get("provider") if isinstance(mailbox, Mapping) else None
    return f"; the {provider} preset does not set it" if provider in PROVIDERS else ""


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
        if mb.provider is not None:
            lines.append(f"  provider {mb.provider}: {provider_note(mb.provider)}")
        lines.append(
            f"  imap {mb.imap.host}:{mb.imap.port} ({mb.imap.tls}) as {mb.imap.user}, "
            f"folders {', '.join(mb.imap.folders)}, {'IDLE' if mb.imap.idle else 'polling'}"
        )
        lines.append(f"  imap sent folder: {_sent_folder(mb)}; ID: {_send_id(mb)}")
        limit = mb.smtp.daily_limit
        lines.append(
            f"  smtp {mb.smtp.host}:{mb.smtp.port} ({mb.smtp.tls}) as {mb.smtp.user}, "
            f"{f'at most {limit} sends a day' if limit else 'no daily limit'}"
        )
    return "\n".join(lines)


def _sent_folder(mb: MailboxSettings) -> str:
    imap = mb.imap
    if imap.sent_folder == "":
        return "not watched"
    if imap.sent_folder != "auto":
        return repr(imap.sent_folder)
    hints = f", trying {', '.join(map(repr, imap.sent_folder_hints))} first"
    return f"found on the server{hints if imap.sent_folder_hints else ''}"


def _send_id(mb: MailboxSettings) -> str:
    mode = mb.imap.send_id
    return "when the server offers it" if mode == "auto" else "always" if mode else "never"


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ***."""
    # A password in the database URL must never reach a terminal or a log.
    head, sep, tail = url.partition("://")
    if "@" in tail:
        creds, _, rest = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest}" if ":" in creds else url
    return url
