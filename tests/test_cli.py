"""The installed commands as an admin runs them: db upgrade, threads, and the daemon itself."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from followupd.demo.servers import EmbeddedImap, EmbeddedSmtp

SECRETS = {
    "FOLLOWUPD_APPROVAL_SECRET": "0123456789abcdef0123456789abcdef",
    "T_IMAP_PW": "imap-pw",
    "T_SMTP_PW": "smtp-pw",
}
REP = "rep@seller.test"


def write_config(path: Path, db_url: str, imap_port: int = 1, smtp_port: int = 1) -> Path:
    path.write_text(
        f"""
[daemon]
database_url = "{db_url}"
default_timezone = "America/Chicago"
[approval]
secret_env = "FOLLOWUPD_APPROVAL_SECRET"
[company]
name = "Seller Ltd."
[[mailbox]]
name = "rep"
rep_address = "{REP}"
rep_name = "Rep One"
[mailbox.imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
allow_plaintext = true
user = "rep"
password_env = "T_IMAP_PW"
poll_seconds = 5
[mailbox.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
allow_plaintext = true
user = "rep"
password_env = "T_SMTP_PW"
"""
    )
    return path


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "followupd", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **SECRETS, **(env or {})},
        timeout=120,
        check=False,
    )


def test_db_upgrade_and_threads(tmp_path: Path, db_url: str) -> None:
    cfg = write_config(tmp_path / "c.toml", db_url)
    first = run_cli("db", "upgrade", "--config", str(cfg))
    assert first.returncode == 0, first.stderr
    assert "database at revision 0010" in first.stdout
    again = run_cli("db", "upgrade", "--config", str(cfg))  # idempotent
    assert again.returncode == 0, again.stderr
    listing = run_cli("threads", "--config", str(cfg))
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[0].split()[:3] == ["id", "state", "cadence"]


@pytest.fixture
def pymap_servers() -> Iterator[tuple[EmbeddedImap, EmbeddedSmtp]]:
    imap = EmbeddedImap({"rep": SECRETS["T_IMAP_PW"]})
    imap.start()
    smtp = EmbeddedSmtp({"rep": SECRETS["T_SMTP_PW"]}, imap, {REP: "rep"})
    smtp.start()
    try:
        yield imap, smtp
    finally:
        smtp.stop()
        imap.stop()


def _notify_socket(tmp_path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(30)
    return sock


def _wait_for(sock: socket.socket, word: str) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen.append(sock.recv(4096).decode())
        if any(word in s for s in seen):
            return seen
    raise AssertionError(f"no {word} from the daemon; got {seen}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_runs_notifies_systemd_and_stops_cleanly(
    tmp_path: Path, pymap_servers: tuple[EmbeddedImap, EmbeddedSmtp], sig: signal.Signals
) -> None:
    imap, smtp = pymap_servers
    cfg = write_config(
        tmp_path / "c.toml", f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", imap.port, smtp.port
    )
    notify = _notify_socket(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "followupd", "run", "--config", str(cfg)],
        env={**os.environ, **SECRETS, "NOTIFY_SOCKET": str(tmp_path / "notify.sock")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert any("READY=1" in s for s in _wait_for(notify, "READY=1"))
        # The running daemon enrolls a Bcc'd mail and tells the rep.
        deadline = time.monotonic() + 30
        while not smtp.sent_to(REP) and time.monotonic() < deadline:
            imap.append(
                "rep",
                (
                    f"Delivered-To: rep+fu@seller.test\r\nFrom: Rep One <{REP}>\r\n"
                    "To: Buyer <buyer@buyer.test>\r\nSubject: PI 77\r\n"
                    "Message-ID: <pi77@seller.test>\r\n\r\nPI attached.\r\n"
                ).encode(),
            )
            smtp.wait_for(REP, 1, 5)
        notices = smtp.sent_to(REP)
        assert notices and str(notices[0].message["Subject"]) == "Tracking: PI 77"
        # SIGHUP re-reads templates and cadences; the daemon goes on running.
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)  # the reload is quick; its log line is checked after the stop
        assert proc.poll() is None
        proc.send_signal(sig)
        _wait_for(notify, "STOPPING=1")
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        notify.close()
    assert proc.returncode == 0, err
    assert re.search(r"reloaded \d+ templates and \d+ cadences", err), err
    assert "Traceback" not in err
    # Logs carry no secret.
    assert all(v not in err for v in SECRETS.values())


@pytest.mark.parametrize(
    ("url", "shown", "reason"),
    [
        (
            "postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/none",
            "postgresql+asyncpg://postgres:***@127.0.0.1:1/none",
            "Connect call failed",
        ),
        (
            "sqlite+aiosqlite:////nonexistent/dir/x.db",
            "sqlite+aiosqlite:////nonexistent/dir/x.db",
            "unable to open database file",
        ),
    ],
)
@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
def test_unusable_database_gives_a_message_not_a_traceback(
    tmp_path: Path, url: str, shown: str, reason: str, command: tuple[str, ...]
) -> None:
    cfg = write_config(tmp_path / "c.toml", url)
    result = run_cli(*command, "--config", str(cfg))
    assert result.returncode == 1
    assert f"followupd: cannot use the database {shown}: " in result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_run_with_bad_config_exits_with_a_message(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[daemon]\nlog_lvl = 'INFO'\n")
    result = run_cli("run", "--config", str(cfg))
    assert result.returncode == 1
    assert "daemon.log_lvl: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
