"""A throw-away Dovecot IMAP server on loopback, for the "dovecot" test tier.

Dovecot is the realistic counterpart of the embedded pymap server: it speaks
SPECIAL-USE, CONDSTORE and QRESYNC, and it pushes IDLE updates the way
production servers do (about 500 ms after a change). Each ``DovecotServer``
writes a standalone configuration into its own directory, so several can run
side by side and nothing under ``/etc/dovecot`` is read or changed.
"""

from __future__ import annotations

import contextlib
import grp
import math
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from followupd.demo.servers import LoopbackImap

__all__ = ["DovecotError", "DovecotServer", "dovecot_binary"]

# Dovecot refuses to run mail processes as root, so when the tests run as root
# every mailbox belongs to "nobody" (65534), like the userdb entry says.
_MAIL_UID = 65534
_MAIL_GID = 65534

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0

# Folders a real mail account has. Declaring them with special_use and
# "auto = subscribe" makes Dovecot create them on first login, so tests can
# rely on \Sent, \Drafts, \Trash, \Archive and \Junk existing.
_SPECIAL_FOLDERS = {
    "Sent": r"\Sent",
    "Drafts": r"\Drafts",
    "Trash": r"\Trash",
    "Archive": r"\Archive",
    "Junk": r"\Junk",
}


class DovecotError(RuntimeError):
    """Dovecot could not be started or stopped; the message quotes its log."""


def dovecot_binary() -> str | None:
    """Return the path of the ``dovecot`` master binary, or None when not installed."""
    found = shutil.which("dovecot")
    if found:
        return found
    # Debian installs it in /usr/sbin, which is not on PATH for every user.
    fallback = Path("/usr/sbin/dovecot")
    return str(fallback) if os.access(fallback, os.X_OK) else None


def _free_port() -> int:
    """Ask the kernel for a free loopback port.

    The port is released before Dovecot binds it, so another process could
    take it in between; ``start()`` retries with a fresh port if that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class DovecotServer:
    """One Dovecot instance with its own config, users and maildirs.

    ``base_dir`` must be traversable by uid 65534 when running as root (the
    mail processes run as that user), so do not put it inside a 0700 directory
    such as pytest's ``tmp_path``; ``tempfile.mkdtemp()`` plus ``chmod 0755``
    is fine.
    """

    def __init__(self, base_dir: Path, *, host: str = "127.0.0.1") -> None:
        self._root = Path(base_dir)
        self._host = host
        self._port = 0
        self._users: dict[str, str] = {}
        self._passwd_stamp = 0.0
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None
        self._binary = dovecot_binary()

        self._is_root = os.geteuid() == 0
        if self._is_root:
            self._mail_uid, self._mail_gid = _MAIL_UID, _MAIL_GID
            # Dovecot's own service users exist once the package is installed;
            # fall back to nobody on an odd system so the config still loads.
            self._internal_user = "dovecot" if _user_exists("dovecot") else "nobody"
            self._login_user = "dovenull" if _user_exists("dovenull") else "nobody"
        else:
            # Unprivileged: every Dovecot process must run as the current user.
            self._mail_uid, self._mail_gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(self._mail_uid).pw_name
            self._internal_user = self._login_user = me

    # -- paths -----------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self._root / "dovecot.conf"

    @property
    def run_dir(self) -> Path:
        return self._root / "run"

    @property
    def log_path(self) -> Path:
        return self._root / "dovecot.log"

    @property
    def passwd_path(self) -> Path:
        return self._root / "passwd"

    @property
    def home_root(self) -> Path:
        return self._root / "home"

    # -- public state ----------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if not self._port:
            raise DovecotError("Dovecot is not started yet")
        return self._port

    @property
    def users(self) -> dict[str, str]:
        """A copy of the user → password map."""
        return dict(self._users)

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- users -----------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        """Add (or change) a user; works before and after ``start()``.

        Dovecot re-reads a passwd-file when its mtime or size changes, but it
        looks at the file at most once per wall-clock second. So while the
        server runs this returns only after the next second has begun (at most
        ~1 s), when a login is sure to see the new entry. Add users before
        ``start()`` to avoid the wait.
        """
        for value in (name, password):
            # The passwd-file format is colon-separated, one entry per line.
            if not value or any(ch in value for ch in ":\n\r\0") or value != value.strip():
                raise ValueError(f"unusable Dovecot user name or password: {value!r}")
        if "/" in name or name.startswith("."):
            raise ValueError(f"user name must be usable as a directory name: {name!r}")
        self._users[name] = password
        self._prepare_dirs()
        home = self.home_root / name
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, self._mail_uid, self._mail_gid)
        # Before start() the file is written once, by start() itself.
        if self.running:
            self._write_passwd()
            time.sleep(math.floor(time.time()) + 1.05 - time.time())

    def _write_passwd(self) -> None:
        lines = "".join(f"{user}:{{PLAIN}}{pw}::::::\n" for user, pw in self._users.items())
        tmp = self.passwd_path.with_suffix(".tmp")
        tmp.write_text(lines, encoding="utf-8")
        # The auth process runs as Dovecot's internal user and must read it.
        tmp.chmod(0o644)
        # Dovecot notices a change by mtime (whole seconds) and size; two
        # same-sized rewrites within one second would go unnoticed, so every
        # version gets a later mtime than the one before.
        self._passwd_stamp = max(time.time(), self._passwd_stamp + 1.0)
        os.utime(tmp, (self._passwd_stamp, self._passwd_stamp))
        # A rename is atomic, so the auth process never sees half a file; the
        # new mtime is what makes Dovecot reload it.
        tmp.replace(self.passwd_path)

    # -- lifecycle -------------------------------------------------------

    def start(self) -> None:
        """Write the config, start Dovecot and wait until it greets on its port."""
        if self.running:
            return
        if self._binary is None:
            raise DovecotError("dovecot is not installed")
        self._prepare_dirs()
        self._write_passwd()
        last_error: DovecotError | None = None
        # A free port can be taken by someone else before Dovecot binds it;
        # a couple of retries make that race harmless.
        for _attempt in range(3):
            self._port = _free_port()
            self.config_path.write_text(self._render_config(), encoding="utf-8")
            try:
                self._launch()
                return
            except DovecotError as exc:
                last_error = exc
                self._kill_quietly()
                if "in use" not in str(exc):
                    break
        self._port = 0
        assert last_error is not None
        raise last_error

    def stop(self) -> None:
        """Stop the master (it takes its IMAP processes with it) and wait for it."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT)
        self._process = None
        self._pid = None

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------

    def _prepare_dirs(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        for directory in (self._root, self.home_root):
            directory.mkdir(exist_ok=True)
            # Mail processes (uid 65534) have to walk into their home.
            directory.chmod(0o755)
        (self._root / "state").mkdir(exist_ok=True)

    def _launch(self) -> None:
        assert self._binary is not None
        # Foreground mode (-F) keeps the master as our child: stop() can wait
        # for it exactly and a crash at start-up shows as an exit code.
        self._process = subprocess.Popen(
            [self._binary, "-F", "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                output = self._process.stdout.read() if self._process.stdout else b""
                self._process = None
                raise DovecotError(
                    f"dovecot exited with {code} at start-up:\n"
                    f"{output.decode(errors='replace')}{self._log_tail()}"
                )
            if self._greets():
                self._pid = self._read_pid()
                return
            time.sleep(0.02)
        raise DovecotError(
            f"dovecot did not accept IMAP connections within "
            f"{_START_TIMEOUT:.0f} s{self._log_tail()}"
        )

    def _greets(self) -> bool:
        """True once imap-login answers with an untagged OK greeting."""
        try:
            with socket.create_connection((self._host, self._port), timeout=1.0) as sock:
                greeted = sock.recv(64).startswith(b"* OK")
                # Saying goodbye keeps "connection reset" noise out of the log.
                sock.sendall(b"probe LOGOUT\r\n")
                return greeted
        except OSError:
            return False

    def _read_pid(self) -> int | None:
        try:
            return int((self.run_dir / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return self._process.pid if self._process else None

    def _kill_quietly(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.stop()

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n--- dovecot log ---\n" + "\n".join(text.splitlines()[-lines:])

    def _render_config(self) -> str:
        folders = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
            for name, flag in _SPECIAL_FOLDERS.items()
        )
        # Chroot needs root; without it the login processes simply run in place.
        chroot = "login" if self._is_root else ""
        return f"""\
# Generated for one test session; nothing else reads this file.
protocols = imap
listen = {self._host}
base_dir = {self.run_dir}
state_dir = {self._root / "state"}
log_path = {self.log_path}
info_log_path = {self.log_path}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Real servers slow down failed logins (2 s by default); tests of wrong
# credentials should not pay for that.
auth_failure_delay = 0
default_internal_user = {self._internal_user}
default_internal_group = {self._group_of(self._internal_user)}
default_login_user = {self._login_user}
# Tests open many connections for the same user from 127.0.0.1.
mail_max_userip_connections = 1000
first_valid_uid = 1
mail_location = maildir:~/Maildir
login_greeting = followupd test Dovecot ready.

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd_path}
}}
userdb {{
  driver = static
  args = uid={self._mail_uid} gid={self._mail_gid} home={self.home_root}/%u
}}

namespace inbox {{
  inbox = yes
  separator = /
{folders}
}}

# Room for a few hundred simultaneous test connections; auth and anvil must
# serve every login process, hence their larger client limits.
service imap-login {{
  chroot = {chroot}
  # One long-lived login process serves every connection: forking one per
  # connection made some greetings wait about a second for the master.
  service_count = 0
  process_min_avail = 1
  client_limit = 500
  process_limit = 2
  inet_listener imap {{
    address = {self._host}
    port = {self._port}
  }}
  # Port 0 disables the listener: several servers may run at once.
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
  process_limit = 500
}}
service auth {{
  client_limit = 2000
}}
service anvil {{
  chroot = {chroot and "empty"}
  client_limit = 2000
  # After a failed login anvil delays every later login from the same IP by
  # seconds ("auth penalty"), and every test client is 127.0.0.1. A socket
  # nobody may open switches the penalty off.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

    def _group_of(self, user: str) -> str:
        try:
            gid = pwd.getpwnam(user).pw_gid
        except KeyError:
            return "nogroup"
        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return "nogroup"


class DovecotStore(LoopbackImap):
    """Delivers into, and reads from, a Dovecot mailbox (what the embedded MTA needs)."""

    def __init__(self, server: DovecotServer) -> None:
        super().__init__(server.port, {}, host=server.host)
        self.server = server

    def password(self, user: str) -> str:
        # Users are added while the server runs: looked up at each login.
        return self.server.users[user]
