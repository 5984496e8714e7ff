"""The shipped systemd unit keeps its readiness protocol and its hardening."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "followupd.service"

# The score systemd-analyze gives a well-hardened network daemon is ~1.1;
# above 2.5 some protection was dropped.
MAX_EXPOSURE = 2.5


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Parse a unit file into section → key → values (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"setting outside a section: {line!r}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def service() -> dict[str, list[str]]:
    return parse_unit(UNIT)["Service"]


def last(service: dict[str, list[str]], key: str) -> str:
    assert key in service, f"{key}= missing from the unit"
    return service[key][-1]


def test_readiness_and_lifecycle(service: dict[str, list[str]]) -> None:
    assert last(service, "Type") == "notify"
    assert last(service, "NotifyAccess") == "main"
    assert last(service, "ExecStart").split()[1:] == [
        "run",
        "--config",
        "/etc/followupd/config.toml",
    ]
    assert "$MAINPID" in last(service, "ExecReload")
    assert last(service, "Restart") == "on-failure"
    # The daemon sends no watchdog pings yet: a WatchdogSec= would kill it.
    assert "WatchdogSec" not in service


def test_runs_unprivileged_with_private_state(service: dict[str, list[str]]) -> None:
    assert last(service, "DynamicUser") == "yes"
    assert last(service, "User") == "followupd"
    assert last(service, "StateDirectory") == "followupd"
    assert last(service, "UMask") == "0077"
    assert last(service, "CapabilityBoundingSet") == ""


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("RestrictRealtime", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("SystemCallArchitectures", "native"),
    ],
)
def test_hardening_option(service: dict[str, list[str]], key: str, value: str) -> None:
    assert last(service, key) == value


def test_network_and_syscalls_are_restricted(service: dict[str, list[str]]) -> None:
    assert set(last(service, "RestrictAddressFamilies").split()) == {
        "AF_INET",
        "AF_INET6",
        "AF_UNIX",
    }
    assert "@system-service" in service["SystemCallFilter"]


def test_systemd_analyze_exposure_is_low() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert match, f"no exposure score in output:\n{result.stdout}\n{result.stderr}"
    assert float(match.group(1)) <= MAX_EXPOSURE, result.stdout
