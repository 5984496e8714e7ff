"""Secrets: resolved from the environment, a file, or systemd's ``$CREDENTIALS_DIRECTORY``.

They are never written in the config file and never printed: ``Secrets`` hides its values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import SecretStr

from followupd.config.models import DkimSettings, SecretRef, Settings
from followupd.errors import ConfigError
from followupd.mail.dkim_sign import check_key


class Secrets:
    """Resolved secret values, keyed by the dotted config key; never printed."""

    def __init__(self, values: Mapping[str, SecretStr]) -> None:
        self._values = dict(values)

    def get(self, key: str) -> str:
        return self._values[key].get_secret_value()

    def __repr__(self) -> str:
        return f"Secrets({sorted(self._values)})"


def resolve_secrets(settings: Settings, env: Mapping[str, str]) -> tuple[Secrets, list[str]]:
    """Read every secret the settings name; return them and one problem line per failure.

    A mailbox's DKIM private key is ``mailbox.<name>.dkim.key``; it is checked against the
    mailbox's DKIM algorithm here, so ``check-config`` finds a wrong key before a send does.
    """
    refs: dict[str, tuple[str, SecretRef]] = {
        "approval.secret": ("approval.secret", settings.approval.secret)
    }
    # Checks of a secret's value beyond its being there, by key.
    checks: dict[str, Callable[[str, SecretRef], str | None]] = {
        "approval.secret": _check_approval_secret
    }
    for i, mb in enumerate(settings.mailbox):
        for server in ("imap", "smtp"):
            ref = getattr(mb, server).password
            refs[f"mailbox.{mb.name}.{server}.password"] = (f"mailbox[{i}].{server}.password", ref)
        if mb.dkim is not None:
            key = f"mailbox.{mb.name}.dkim.key"
            refs[key] = (f"mailbox[{i}].dkim.key", mb.dkim.key)
            checks[key] = functools.partial(_check_dkim_key, mb.dkim)
    # Show the key the admin wrote (password_env, secret_file, ...).
    refs = {k: (f"{shown}_{_ref_kind(ref)}", ref) for k, (shown, ref) in refs.items()}
    values: dict[str, SecretStr] = {}
    problems: list[str] = []
    for key, (shown, ref) in refs.items():
        value, problem = _read_secret(ref, env)
        if problem is None and value and key in checks:
            problem = checks[key](value, ref)
        if problem:
            problems.append(f"{shown}: {problem}")
        elif value is not None:
            values[key] = SecretStr(value)
    return Secrets(values), problems


def _check_approval_secret(value: str, ref: SecretRef) -> str | None:
    if len(value) >= 16:
        return None
    return (
        f"{ref.describe()} holds {len(value)} characters; expected at least 16 random "
        "ones (a short key makes approval tokens guessable)"
    )


def _check_dkim_key(settings: DkimSettings, value: str, ref: SecretRef) -> str | None:
    try:
        check_key(settings, value.encode("utf-8"))
    except ConfigError as exc:
        return f"{ref.describe()}: {'; '.join(exc.problems)}"
    return None


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
