"""The mailbox watcher: one worker thread owns one IMAPClient connection.

imapclient is blocking, so the connection lives in its own thread and hands every new message
to the asyncio side through a callback that is thread-safe. It only ever EXAMINEs folders
(read-only) and fetches with BODY.PEEK, so the rep's mail is never marked read, moved or
deleted.

Where the server offers IDLE, the thread idles on the first watched folder and re-issues IDLE
well before servers and NAT boxes drop quiet connections; other folders, and all folders when
IDLE is missing, are polled. Any network or server error closes the connection and a new one
is opened after an exponential, jittered backoff; the cursors say where to resume, so every
message that arrived meanwhile is fetched exactly once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import random
import select
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from imapclient import IMAPClient

from followupd.config import ImapSettings
from followupd.imap.connect import open_imap

log = logging.getLogger(__name__)

# Servers and NAT boxes drop idle connections long before RFC 2177's 29 minutes.
IDLE_RENEW_SECONDS = 9 * 60
_BACKOFF_START = 1.0
_BACKOFF_MAX = 300.0


@dataclass(frozen=True, kw_only=True)
class Cursor:
    """How far a folder has been read."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """One message fetched from a watched folder."""

    folder: str
    uidvalidity: int
    uid: int
    raw: bytes
    # True when the folder's UIDVALIDITY changed and the folder is being read again: the
    # consumer must then skip messages it already knows by Message-ID.
    resync: bool = False


@dataclass(frozen=True, kw_only=True)
class CursorMoved:
    """The folder's cursor was (re)set without a message: at first sight, or new UIDVALIDITY."""

    folder: str
    cursor: Cursor


Delivery = Fetched | CursorMoved


class ImapWatcher:
    """Watches the configured folders of one mailbox in a worker thread."""

    def __init__(
        self,
        *,
        name: str,
        settings: ImapSettings,
        password: str,
        cursors: Mapping[str, Cursor],
        deliver: Callable[[Delivery], None],
    ) -> None:
        self.name = name
        self._settings = settings
        self._password = password
        self._cursors: dict[str, Cursor] = dict(cursors)
        self._deliver = deliver
        self._stop = threading.Event()
        self._wake = threading.Event()
        # A self-pipe: stop() and request_sync() write to it, so an idling thread blocked in
        # poll() wakes at once instead of on its next timeout.
        self._pipe_r, self._pipe_w = os.pipe()
        os.set_blocking(self._pipe_r, False)
        os.set_blocking(self._pipe_w, False)
        self._sync_waiters: list[concurrent.futures.Future[None]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"imap-{name}", daemon=True)
        self.connected = threading.Event()
        # Set once every watched folder has been looked at after start.
        self.first_pass = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to log out and end; waits at most ``timeout`` seconds."""
        self._stop.set()
        self._poke()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            os.close(self._pipe_r)
            os.close(self._pipe_w)

    def request_sync(self) -> concurrent.futures.Future[None]:
        """Ask for a fresh look at every watched folder now.

        The future completes once every message that was in the folders at that moment has
        been handed to ``deliver``.
        """
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._lock:
            self._sync_waiters.append(fut)
        self._poke()
        return fut

    def _poke(self) -> None:
        self._wake.set()
        # A full pipe means a wake-up is pending anyway; a closed one, that we have stopped.
        with contextlib.suppress(OSError):
            os.write(self._pipe_w, b"!")

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        backoff = _BACKOFF_START
        while not self._stop.is_set():
            try:
                client = open_imap(self._settings, self._password)
            except Exception as exc:
                log.warning("imap %s: cannot connect: %s", self.name, _short(exc))
                self._fail_waiters(exc)
                self._stop.wait(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, _BACKOFF_MAX)
                continue
            backoff = _BACKOFF_START
            self.connected.set()
            try:
                self._session(client)
            except Exception as exc:
                log.warning("imap %s: connection lost: %s", self.name, _short(exc))
                self._fail_waiters(exc)
                self._stop.wait(backoff * random.uniform(0.5, 1.0))
            finally:
                self.connected.clear()
                _logout(client)

    def _session(self, client: IMAPClient) -> None:
        can_idle = self._settings.idle and b"IDLE" in client.capabilities()
        folders = list(self._settings.folders)
        log.info(
            "imap %s: watching %s (%s)",
            self.name,
            ", ".join(folders),
            "IDLE" if can_idle else "polling",
        )
        while not self._stop.is_set():
            with self._lock:
                waiters, self._sync_waiters = self._sync_waiters, []
            self._wake.clear()
            for folder in folders:
                self._sync_folder(client, folder)
            self.first_pass.set()
            for fut in waiters:
                fut.set_result(None)
            if can_idle:
                self._idle(client, folders[0])
            else:
                self._wake.wait(self._settings.poll_seconds)
                self._drain_pipe()

    def _idle(self, client: IMAPClient, folder: str) -> None:
        client.select_folder(folder, readonly=True)
        client.idle()
        try:
            # Leave IDLE on a push, a sync request, stop, the renew interval, or the safety-net
            # poll interval (some servers' IDLE goes silent without closing the connection).
            limit = min(IDLE_RENEW_SECONDS, self._settings.poll_seconds)
            poller = select.poll()
            poller.register(client.socket().fileno(), select.POLLIN)
            poller.register(self._pipe_r, select.POLLIN)
            # Only wait for readability here: reading a push with a non-blocking socket
            # (as imapclient's idle_check does) breaks on servers that send one response
            # line in several segments. idle_done() reads the pushes with blocking reads.
            if not self._stop.is_set() and not self._wake.is_set():
                poller.poll(limit * 1000)
            self._drain_pipe()
        finally:
            client.idle_done()

    def _sync_folder(self, client: IMAPClient, folder: str) -> None:
        status = client.select_folder(folder, readonly=True)
        uidvalidity = int(status[b"UIDVALIDITY"])
        uidnext = int(status.get(b"UIDNEXT", 0))
        cursor = self._cursors.get(folder)
        resync = False
        if cursor is None:
            # First sight of the folder: mail that is already there was handled by the rep;
            # only what arrives from now on is ours to process.
            start_uid = max(uidnext, 1) if uidnext else self._max_uid(client) + 1
            first = Cursor(uidvalidity=uidvalidity, last_uid=start_uid - 1)
            self._cursors[folder] = first
            self._deliver(CursorMoved(folder=folder, cursor=first))
            log.info("imap %s: %s first seen, starting at UID %d", self.name, folder, start_uid)
            return
        if cursor.uidvalidity != uidvalidity:
            log.warning(
                "imap %s: %s UIDVALIDITY changed (%d -> %d); reading the folder again",
                self.name,
                folder,
                cursor.uidvalidity,
                uidvalidity,
            )
            cursor = Cursor(uidvalidity=uidvalidity, last_uid=0)
            self._cursors[folder] = cursor
            self._deliver(CursorMoved(folder=folder, cursor=cursor))
            resync = True
        uids = sorted(
            u for u in client.search(["UID", f"{cursor.last_uid + 1}:*"]) if u > cursor.last_uid
        )
        for chunk_start in range(0, len(uids), 50):
            chunk = uids[chunk_start : chunk_start + 50]
            data = client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                item = data.get(uid)
                if item is None:
                    continue  # expunged between SEARCH and FETCH
                raw = item.get(b"BODY[]") or b""
                self._deliver(
                    Fetched(folder=folder, uidvalidity=uidvalidity, uid=uid, raw=raw, resync=resync)
                )
                self._cursors[folder] = Cursor(uidvalidity=uidvalidity, last_uid=uid)

    def _drain_pipe(self) -> None:
        try:
            while os.read(self._pipe_r, 512):
                pass
        except (BlockingIOError, OSError):
            pass

    @staticmethod
    def _max_uid(client: IMAPClient) -> int:
        uids = client.search(["ALL"])
        return max(uids) if uids else 0

    def cursors(self) -> dict[str, Cursor]:
        """Where the thread would resume (used at first sight of a folder)."""
        return dict(self._cursors)

    def _fail_waiters(self, exc: Exception) -> None:
        with self._lock:
            waiters, self._sync_waiters = self._sync_waiters, []
        for fut in waiters:
            fut.set_exception(exc)


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection may already be gone; nothing more to do
        with contextlib.suppress(OSError):
            client.shutdown()


def _short(exc: BaseException) -> str:
    # Never log more than the error's class and first line: server replies can echo input.
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}"
