"""Config errors name the key, the bad value and what is expected; secrets never inline."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from followupd.config import load_config, load_config_data, summary
from followupd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
ENV = {
    "FOLLOWUPD_APPROVAL_SECRET": "0123456789abcdef0123456789abcdef",
    "FOLLOWUPD_ANNA_IMAP_PASSWORD": "imap-pw",
    "FOLLOWUPD_ANNA_SMTP_PASSWORD": "smtp-pw",
}


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text())


def problems(data: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_data(data, env=ENV if env is None else env)
    return info.value.problems


def test_example_is_valid_once_its_secrets_are_provided() -> None:
    cfg = load_config(EXAMPLE, env=ENV)
    assert cfg.password("anna", "imap") == "imap-pw"
    assert cfg.approval_secret() == ENV["FOLLOWUPD_APPROVAL_SECRET"].encode()
    text = summary(cfg)
    assert "anna" in text and "imap.example.com:993" in text
    # The summary never shows a secret.
    assert all(v not in text for v in ENV.values())


def test_missing_secrets_are_each_named() -> None:
    found = problems(example(), env={})
    assert found == [
        "approval.secret_env: environment variable FOLLOWUPD_APPROVAL_SECRET is not set "
        "(expected the secret)",
        "mailbox[0].imap.password_env: environment variable FOLLOWUPD_ANNA_IMAP_PASSWORD is "
        "not set (expected the secret)",
        "mailbox[0].smtp.password_env: environment variable FOLLOWUPD_ANNA_SMTP_PASSWORD is "
        "not set (expected the secret)",
    ]


def test_unknown_key_is_an_error_with_the_valid_keys() -> None:
    data = example()
    data["mailbox"][0]["imap"]["pasword_env"] = "X"
    [problem] = problems(data)
    assert problem.startswith("mailbox[0].imap.pasword_env: unknown key (expected one of: ")
    assert "password_env" in problem and "poll_seconds" in problem


def test_unknown_top_level_section() -> None:
    data = example()
    data["deamon"] = {}
    [problem] = problems(data)
    assert problem.startswith("deamon: unknown key")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("mailbox", 0, "imap", "port"),
            "nine-nine-three",
            "mailbox[0].imap.port = 'nine-nine-three'",
        ),
        (
            ("mailbox", 0, "imap", "port"),
            70000,
            "mailbox[0].imap.port = 70000: Input should be less",
        ),
        (("daemon", "default_timezone"), "Mars/Olympus", "expected an IANA timezone name"),
        (("mailbox", 0, "imap", "tls"), "ssl", "mailbox[0].imap.tls = 'ssl': Input should be"),
        (("mailbox", 0, "rep_address"), "anna", "mailbox[0].rep_address = 'anna'"),
        (("working_hours", "workdays"), ["monday"], "expected weekday names from mon"),
        (("daemon", "database_url"), "mysql://x", "expected a sqlite+aiosqlite:///PATH"),
    ],
)
def test_wrong_values_name_key_value_and_expectation(
    path: tuple[str | int, ...], value: object, expected: str
) -> None:
    data = example()
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    found = problems(data)
    assert any(expected in p for p in found), found


def test_plaintext_login_refused_unless_allowed() -> None:
    data = example()
    data["mailbox"][0]["smtp"]["tls"] = "none"
    [problem] = problems(data)
    assert problem.startswith("mailbox[0].smtp: ") and "allow_plaintext = true" in problem
    data["mailbox"][0]["smtp"]["allow_plaintext"] = True
    load_config_data(data, env=ENV)


def test_inline_password_is_refused() -> None:
    data = example()
    data["mailbox"][0]["imap"]["password"] = "hunter2"
    found = problems(data)
    assert any(p.startswith("mailbox[0].imap.password: unknown key") for p in found)
    # The refused value is not echoed back.
    assert not any("hunter2" in p for p in found)


def test_two_secret_sources_are_an_error() -> None:
    data = example()
    data["approval"]["secret_file"] = "/etc/x"
    [problem] = problems(data)
    assert "exactly one of secret_env, secret_file or secret_credential" in problem


def test_secret_from_file_and_credentials_directory(tmp_path: Path) -> None:
    data = example()
    (tmp_path / "imap.pw").write_text("from-file\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "anna-smtp").write_text("from-credential")
    data["mailbox"][0]["imap"] = {
        **data["mailbox"][0]["imap"],
        "password_file": str(tmp_path / "imap.pw"),
    }
    del data["mailbox"][0]["imap"]["password_env"]
    del data["mailbox"][0]["smtp"]["password_env"]
    data["mailbox"][0]["smtp"]["password_credential"] = "anna-smtp"
    cfg = load_config_data(data, env={**ENV, "CREDENTIALS_DIRECTORY": str(creds)})
    assert cfg.password("anna", "imap") == "from-file"
    assert cfg.password("anna", "smtp") == "from-credential"


def test_unreadable_secret_file(tmp_path: Path) -> None:
    data = example()
    del data["approval"]["secret_env"]
    data["approval"]["secret_file"] = str(tmp_path / "missing.secret")
    [problem] = problems(data)
    assert problem.startswith("approval.secret_file: file ")
    assert "missing.secret cannot be read (No such file or directory)" in problem


def test_credential_without_credentials_directory() -> None:
    data = example()
    del data["approval"]["secret_env"]
    data["approval"]["secret_credential"] = "approval"
    [problem] = problems(data)
    assert "CREDENTIALS_DIRECTORY is not set" in problem


def test_unreadable_and_invalid_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "nope.toml", env=ENV)
    bad = tmp_path / "bad.toml"
    bad.write_text("[daemon\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, env=ENV)


def test_short_approval_secret_is_refused() -> None:
    found = problems(example(), env={**ENV, "FOLLOWUPD_APPROVAL_SECRET": "abc"})
    assert found[0].startswith("approval.secret_env: ") and "at least 16" in found[0]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUPD_")}
    return subprocess.run(
        [sys.executable, "-m", "followupd", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


def test_check_config_cli_exit_codes(tmp_path: Path) -> None:
    ok = _cli("check-config", str(EXAMPLE), env=ENV)
    assert ok.returncode == 0, ok.stderr
    assert "config OK" in ok.stdout
    assert (
        "cadences: after-payment, expo-key, expo-lead, halving, nurture, payment, pi," in ok.stdout
    )
    missing = _cli("check-config", str(EXAMPLE), env={})
    assert missing.returncode == 1
    assert "FOLLOWUPD_APPROVAL_SECRET" in missing.stderr
    assert "FOLLOWUPD_ANNA_IMAP_PASSWORD" in missing.stderr
    assert "FOLLOWUPD_ANNA_SMTP_PASSWORD" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_check_config_reports_an_unknown_default_cadence(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('default_cadence = "pi"', 'default_cadence = "weekly"')
    path = tmp_path / "c.toml"
    path.write_text(text)
    result = _cli("check-config", str(path), env=ENV)
    assert result.returncode == 1
    assert "default_cadence 'weekly' is not one of after-payment, expo-key," in result.stderr
