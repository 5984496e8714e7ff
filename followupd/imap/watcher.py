"""The mailbox watcher: one worker thread owns one IMAPClient connection.

imapclient is blocking, so the connection lives in its own thread and hands every new message
to the asyncio side through a callback that is thread-safe. It only ever EXAMINEs folders
(read-only) and fetches with BODY.PEEK, so the rep's mail is never marked read, moved or
deleted.

Several folders are watched: the configured ones (INBOX, and archive folders that rules move
replies into) and the rep's Sent folder, found at each connection (see :mod:`.folders`).
Where the server offers IDLE, the thread idles on the first of them and re-issues IDLE well
before servers and NAT boxes drop quiet connections; the others, and all of them when IDLE is
missing, are polled. With CONDSTORE (RFC 7162) a folder whose HIGHESTMODSEQ did not move is
not searched at all, and new mail is listed with ``CHANGEDSINCE``; without it, ``UID n:*``.
Any network or server error closes the connection and a new one is opened after an
exponential, jittered backoff; the cursors say where to resume, so every message that arrived
meanwhile is fetched exactly once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import random
import select
import threading
import time
from collections.abc import Callable, Mapping

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from followupd.config import ImapSettings
from followupd.imap.connect import open_imap
from followupd.imap.deliveries import Cursor, CursorMoved, Delivery, Fetched, Indexed
from followupd.imap.folders import WatchedFolder, plan_folders
from followupd.imap.index import fetch_index

log = logging.getLogger(__name__)

# Servers and NAT boxes drop idle connections long before RFC 2177's 29 minutes.
IDLE_RENEW_SECONDS = 9 * 60
# Beyond this many UIDs between the cursor and UIDNEXT, a plain UID SEARCH is cheaper.
_CHANGEDSINCE_SPAN = 500
# How often the folder list is read again to notice new, renamed or re-created folders.
REPLAN_SECONDS = 10 * 60
_BACKOFF_START = 1.0
_BACKOFF_MAX = 300.0


class FolderRefused(RuntimeError):
    """The server refuses to open a folder that exists: retried like a lost connection."""


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
        # What each folder looked like at the last look, for this connection only.
        self._uidnext: dict[str, int] = {}
        self._modseq: dict[str, int] = {}
        self._problems: list[str] = []
        # What the current connection offers and watches (read by tests and the log).
        self.condstore = False
        self.folders: tuple[WatchedFolder, ...] = ()
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
        capabilities = client.capabilities()
        can_idle = self._settings.idle and b"IDLE" in capabilities
        self.condstore = b"CONDSTORE" in capabilities
        if self.condstore and b"ENABLE" in capabilities:
            # Enabled up front so that every EXAMINE reports HIGHESTMODSEQ.
            client.enable("CONDSTORE")
        self._modseq.clear()
        self._uidnext.clear()
        folders: list[WatchedFolder] = []
        replan_at = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= replan_at:
                folders, complete = self._plan(client, previous=folders, idle=can_idle)
                # Folders come and go (the rep creates one, a rule's target is re-created):
                # look again soon while one is missing, else now and then.
                replan_at = time.monotonic() + (
                    self._settings.poll_seconds if not complete else REPLAN_SECONDS
                )
            idle_on = next((f.name for f in folders if f.role == "inbox"), None)
            with self._lock:
                waiters, self._sync_waiters = self._sync_waiters, []
            self._wake.clear()
            try:
                for folder in folders:
                    if not self._sync_folder(client, folder, force=bool(waiters)):
                        replan_at = 0.0
            except BaseException:
                # Hand the requests back: _run fails them, so no caller waits for nothing.
                with self._lock:
                    self._sync_waiters[:0] = waiters
                raise
            self.first_pass.set()
            for fut in waiters:
                fut.set_result(None)
            if can_idle and idle_on is not None:
                self._idle(client, idle_on)
            else:
                self._wake.wait(self._settings.poll_seconds)
                self._drain_pipe()

    def _plan(
        self, client: IMAPClient, *, previous: list[WatchedFolder], idle: bool
    ) -> tuple[list[WatchedFolder], bool]:
        """The folders to watch now, and whether every one asked for was found."""
        listing = [(tuple(flags), delim, str(name)) for flags, delim, name in client.list_folders()]
        folders, problems = plan_folders(
            listing,
            configured=self._settings.folders,
            sent_folder=self._settings.sent_folder,
            hints=self._settings.sent_folder_hints,
        )
        if problems != self._problems:
            for problem in problems:
                log.warning("imap %s: %s", self.name, problem)
            self._problems = problems
        if folders != previous:
            idle_on = next((f.name for f in folders if f.role == "inbox"), None)
            log.info(
                "imap %s: watching %s (%s)",
                self.name,
                ", ".join(f"{f.name} [{f.role}: {f.why}]" for f in folders) or "nothing",
                f"IDLE on {idle_on}" if idle and idle_on else "polling",
            )
        self.folders = tuple(folders)
        complete = not any("does not exist" in p for p in problems)
        return folders, complete

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

    def _sync_folder(self, client: IMAPClient, watched: WatchedFolder, *, force: bool) -> bool:
        """Fetch what is new in one folder; False when the folder is gone (to look again)."""
        folder = watched.name
        try:
            status = client.select_folder(folder, readonly=True)
        except IMAPClientAbortError:
            raise  # the connection is gone: reconnect
        except IMAPClientError as exc:
            if client.folder_exists(folder):
                # The folder is there but the server will not open it: a policy (NetEase
                # answers "Unsafe Login" until the client sent ID), not a missing folder.
                hint = (
                    " (the server wants the IMAP ID command: set imap.send_id = true or a "
                    "provider preset)"
                    if "unsafe login" in str(exc).lower()
                    else ""
                )
                raise FolderRefused(f"{folder}: {_short(exc)}{hint}") from exc
            # Deleted or renamed since the folder list was read; the connection is fine.
            log.warning("imap %s: cannot open %s: %s", self.name, folder, _short(exc))
            return False
        uidvalidity = int(status[b"UIDVALIDITY"])
        uidnext = int(status.get(b"UIDNEXT", 0))
        modseq = (
            int(status[b"HIGHESTMODSEQ"]) if self.condstore and b"HIGHESTMODSEQ" in status else None
        )
        cursor = self._cursors.get(folder)
        resync = False
        if cursor is None:
            # First sight of the folder: mail that is already there was handled by the rep;
            # only what arrives from now on is ours to process. The old mail's headers are
            # indexed (history, Message-IDs for de-duplication) before the cursor is stored,
            # so an interrupted index is redone at the next start.
            existing = sorted(client.search(["ALL"]))
            start_uid = max(uidnext, 1) if uidnext else (existing[-1] if existing else 0) + 1
            for rows in fetch_index(client, [u for u in existing if u < start_uid]):
                self._deliver(Indexed(folder=folder, uidvalidity=uidvalidity, rows=tuple(rows)))
            first = Cursor(uidvalidity=uidvalidity, last_uid=start_uid - 1)
            self._cursors[folder] = first
            self._deliver(CursorMoved(folder=folder, cursor=first))
            log.info("imap %s: %s first seen, starting at UID %d", self.name, folder, start_uid)
            self._remember(folder, uidnext, modseq)
            return True
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
            self._modseq.pop(folder, None)
            resync = True
        elif not force and self._unchanged(folder, uidnext, modseq):
            return True
        uids = self._new_uids(
            client, folder, cursor.last_uid, uidnext, modseq if not force else None
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
                    Fetched(
                        folder=folder,
                        uidvalidity=uidvalidity,
                        uid=uid,
                        raw=raw,
                        role=watched.role,
                        resync=resync,
                    )
                )
                self._cursors[folder] = Cursor(uidvalidity=uidvalidity, last_uid=uid)
        self._remember(folder, uidnext, modseq)
        return True

    def _unchanged(self, folder: str, uidnext: int, modseq: int | None) -> bool:
        """Whether the folder is as it was at the last look, so it needs no search.

        UIDNEXT grows with every new message; HIGHESTMODSEQ with every change at all.
        """
        if modseq is not None:
            return self._modseq.get(folder) == modseq
        return bool(uidnext) and self._uidnext.get(folder) == uidnext

    def _remember(self, folder: str, uidnext: int, modseq: int | None) -> None:
        if uidnext:
            self._uidnext[folder] = uidnext
        if modseq is not None:
            self._modseq[folder] = modseq

    def _new_uids(
        self, client: IMAPClient, folder: str, last_uid: int, uidnext: int, modseq: int | None
    ) -> list[int]:
        """UIDs above ``last_uid``: by CHANGEDSINCE when the last modseq is known, else UID n:*.

        The CHANGEDSINCE fetch names the UIDs between the cursor and UIDNEXT one by one (a few,
        as it only runs within one connection, between two looks); ``n:*`` always names at
        least the newest message, even one below ``n``, so its result is filtered.
        """
        since = self._modseq.get(folder) if modseq is not None else None
        if since is not None and 0 < uidnext - last_uid - 1 <= _CHANGEDSINCE_SPAN:
            data = client.fetch(
                list(range(last_uid + 1, uidnext)), ["UID"], modifiers=[f"CHANGEDSINCE {since}"]
            )
            return sorted(u for u in data if u > last_uid)
        return sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)

    def _drain_pipe(self) -> None:
        try:
            while os.read(self._pipe_r, 512):
                pass
        except (BlockingIOError, OSError):
            pass

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
