"""Initial sync of a big Dovecot mailbox: followupd's header index against a raw FETCH.

    python bench/initial_sync.py [--messages 20000] [--rounds 3]

Starts a private Dovecot, writes N messages with varied, realistic headers straight into the
user's Maildir, then rotates three runs, each in a fresh child process:

(a) baseline: imapclient alone, UID FETCH of the same items in 500-UID batches;
(a') the same with imapclient's ``normalise_times`` off, as followupd fetches (it then skips
    converting each ENVELOPE date to local time): the stricter comparison;
(b) followupd: the header index as the daemon builds it, with fetching in a worker thread that
    hands each batch to the asyncio side, which stores it in a new SQLite database.

Prints the median messages per second of each, their ratio and the peak RSS of (b), measured
inside its own process so that the baseline does not count. Figures, not a test: nothing
fails here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from imapclient import IMAPClient

from followupd.imap.index import FETCH_ITEMS

# The database layer is imported by the followupd runs only: a baseline process carrying
# SQLAlchemy would inflate the RSS it is compared with.
if TYPE_CHECKING:
    from followupd.db.engine import Database

ROOT = Path(__file__).resolve().parents[1]
BATCH = 500
USER, PASSWORD = "rep", "bench-password"
TARGET_RATIO = 0.8
TARGET_RSS_MIB = 150.0
MODES = ("baseline", "strict", "followupd")


# -- the contenders ----------------------------------------------------------------------------


def connect(port: int) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.login(USER, PASSWORD)
    return client


def baseline_sync(client: IMAPClient, *, normalise_times: bool = True) -> int:
    """imapclient alone: the same FETCH items, the same batches, nothing done with the data."""
    client.normalise_times = normalise_times
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    fetched = 0
    for start in range(0, len(uids), BATCH):
        fetched += len(client.fetch(uids[start : start + BATCH], FETCH_ITEMS))
    return fetched


async def followupd_sync(port: int, db: Database, mailbox_id: int) -> int:
    """The header index of INBOX exactly as the daemon builds it at first sight of a folder.

    The real :class:`ImapWatcher` connects, lists the folders, finds INBOX new and indexes
    it in its own thread, handing each batch over with ``call_soon_threadsafe``; the event
    loop stores each one with ``store_index``, as the inbound handler does. Done when the
    watcher stores the folder's first cursor, which it does after the last batch.
    """
    from followupd.config import ImapSettings
    from followupd.core.index import store_index
    from followupd.imap.deliveries import CursorMoved, Delivery, Indexed
    from followupd.imap.watcher import ImapWatcher

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    settings = ImapSettings(
        host="127.0.0.1",
        port=port,
        tls="none",
        allow_plaintext=True,
        user=USER,
        password_env="UNUSED",
        folders=("INBOX",),
        sent_folder="",
        idle=False,
    )
    watcher = ImapWatcher(
        name="bench",
        settings=settings,
        password=PASSWORD,
        cursors={},
        deliver=lambda item: loop.call_soon_threadsafe(queue.put_nowait, item),
    )
    watcher.start()
    stored = 0
    try:
        while not isinstance(item := await queue.get(), CursorMoved):
            if isinstance(item, Indexed):
                stored += await store_index(
                    db,
                    mailbox_id=mailbox_id,
                    folder=item.folder,
                    uidvalidity=item.uidvalidity,
                    rows=item.rows,
                )
    finally:
        await asyncio.to_thread(watcher.stop)
    return stored


# -- child processes ---------------------------------------------------------------------------


def child(mode: str, port: int, db_path: Path | None) -> None:
    """Run one contender and print its figures as one JSON line."""
    if mode != "followupd":
        client = connect(port)
        with _Stopwatch() as watch:
            count = baseline_sync(client, normalise_times=mode == "baseline")
        client.logout()
    else:
        assert db_path is not None
        count, watch = asyncio.run(_followupd_child(port, db_path))
    figures = {"messages": count, "seconds": watch.wall, "cpu": watch.cpu, "rss_mib": _peak_rss()}
    print(json.dumps(figures))


class _Stopwatch:
    """Wall time and the CPU time of all threads (steadier than wall on a busy machine)."""

    def __enter__(self) -> _Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def _peak_rss() -> float:
    """Peak RSS of this process in MiB.

    Linux carries ru_maxrss over from the parent through fork and exec, so a child of a big
    parent would report the parent's size; VmHWM belongs to this process image alone.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kib = status.split("VmHWM:", 1)[1].split()[0]
    return int(kib) / 1024


async def _followupd_child(port: int, db_path: Path) -> tuple[int, _Stopwatch]:
    # Loaded before the clock starts, as the daemon has it loaded before any sync.
    import followupd.core.index  # noqa: F401
    from followupd.db.engine import Database
    from followupd.db.migrate import upgrade
    from followupd.model import Mailbox

    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        await upgrade(db)
        async with db.transaction() as session:
            box = Mailbox(name="bench", rep_address="rep@factory.example", created_at=_NOW)
            session.add(box)
            await session.flush()
            mailbox_id = box.id
        with _Stopwatch() as watch:
            count = await followupd_sync(port, db, mailbox_id)
        return count, watch
    finally:
        await db.close()


def run_child(mode: str, port: int, db_path: Path | None = None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, "--port", str(port)]
    if db_path is not None:
        cmd += ["--db", str(db_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the mailbox -------------------------------------------------------------------------------

_NOW = datetime(2026, 11, 1, tzinfo=UTC)
# Offsets as buyers' and reps' mail clients write them; "-0000" is what some gateways send.
_OFFSETS = ["+0800", "+0800", "+0100", "+0200", "-0500", "-0400", "+0530", "+0900", "-0300",
            "+0300", "+0000", "-0000", "+1000", "-0700", "+0700"]  # fmt: skip
_SUBJECTS = [
    "Quotation for {n} pcs deep groove ball bearings",
    "PI {n} - 40HQ container, FOB Ningbo",
    "Samples of item {n} sent by DHL",
    "Price list {n} and payment terms",
    "Order {n}: shipping schedule",
    "Angebot {n} für Kugellager",
    "Cotización {n} – rodamientos",
    "报价单 {n} 请查收",
    "Заказ {n}: сроки отгрузки",
]
_NAMES = ["Anna Schmidt", "Li Wei", "María García", "John O'Neil", "Ivan Petrov", "Sato Kenji"]
_DOMAINS = ["buyer.example", "import-gmbh.example", "trading.example.co.uk", "mx-compras.example"]
_REP = "Zhang Rep <rep@factory.example>"


def _header_text(text: str) -> str:
    return text if text.isascii() else Header(text, "utf-8").encode()


def build_messages(count: int, seed: int = 1) -> Iterator[bytes]:
    """``count`` messages in threads of 1-8, replies carrying In-Reply-To and References."""
    rng = random.Random(seed)
    made = 0
    when = _NOW - timedelta(days=900)
    while made < count:
        name = rng.choice(_NAMES)
        buyer = f"{name} <{name.split()[0].lower()}@{rng.choice(_DOMAINS)}>"
        subject = rng.choice(_SUBJECTS).format(n=rng.randint(1000, 99999))
        offset = rng.choice(_OFFSETS)
        chain: list[str] = []
        for turn in range(min(rng.randint(1, 8), count - made)):
            when += timedelta(minutes=rng.randint(1, 180))
            from_buyer = turn % 2 == 1
            mid = f"<{rng.getrandbits(64):016x}.{made}@{'mx.' if from_buyer else ''}"
            mid += "buyer.example>" if from_buyer else "factory.example>"
            headers = [
                f"Return-Path: <{'bounce' if from_buyer else 'rep'}@relay.example>",
                "Received: from mx.relay.example (mx.relay.example [192.0.2.7])\r\n"
                f"\tby imap.factory.example with ESMTPS id {rng.getrandbits(40):x}\r\n"
                f"\tfor <rep@factory.example>; {format_datetime(when)}",
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=buyer.example;\r\n"
                f"\ts=sel1; h=from:to:subject:date:message-id; bh={rng.getrandbits(128):x}=;\r\n"
                f"\tb={rng.getrandbits(512):x}",
                f"From: {_header_text(buyer if from_buyer else _REP)}",
                f"To: {_header_text(_REP if from_buyer else buyer)}",
                f"Subject: {_header_text(('Re: ' if turn else '') + subject)}",
                f"Date: {_date_header(when, offset if from_buyer else '+0800')}",
                f"Message-ID: {mid}",
            ]
            if chain:
                headers.append(f"In-Reply-To: {chain[-1]}")
                headers.append("References: " + "\r\n ".join(chain[-12:]))
            headers += [
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
            ]
            body = "\r\n".join(
                f"Line {i} of the message about {subject}." for i in range(rng.randint(5, 60))
            )
            yield ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
            made += 1
            chain.append(mid)


def _date_header(when: datetime, offset: str) -> str:
    sign = -1 if offset.startswith("-") else 1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
    local = (when + delta).replace(tzinfo=None)
    return local.strftime("%a, %d %b %Y %H:%M:%S ") + offset


def write_maildir(home: Path, messages: Iterable[bytes]) -> None:
    """Write straight into Maildir/new, owned by the user Dovecot runs mail processes as."""
    # Dovecot runs mail processes as 65534 when started by root (see tests/servers/dovecot.py).
    uid, gid = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    maildir = home / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for path in (maildir, maildir / "cur", maildir / "new", maildir / "tmp"):
        os.chown(path, uid, gid)
    stamp = int(_NOW.timestamp())
    for i, raw in enumerate(messages):
        path = maildir / "new" / f"{stamp + i}.M{i:06d}P1.bench"
        path.write_bytes(raw)
        os.chown(path, uid, gid)


# -- the run -----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.port, args.db)
        return

    sys.path.insert(0, str(ROOT / "tests"))
    from servers.dovecot import DovecotServer, dovecot_binary

    if dovecot_binary() is None:
        raise SystemExit("dovecot is not installed (Debian package dovecot-imapd)")
    base = Path(tempfile.mkdtemp(prefix="followupd-bench-"))
    # Mail processes (uid 65534) must be able to walk into their home below this.
    base.chmod(0o755)
    server = DovecotServer(base / "dovecot")
    server.add_user(USER, PASSWORD)
    try:
        start = time.perf_counter()
        write_maildir(server.home_root / USER, build_messages(args.messages))
        took = time.perf_counter() - start
        print(f"wrote {args.messages} messages into Maildir/new in {took:.1f} s")
        server.start()
        _measure(args, server.port, base)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _measure(args: argparse.Namespace, port: int, base: Path) -> None:
    # The first look makes Dovecot move new/ to cur/ and build its index and cache; neither
    # contender should pay for that.
    warm = run_child("baseline", port)
    print(f"warm-up (Dovecot indexes the folder): {warm['seconds']:.1f} s")
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for n in range(args.rounds):
        # Rotate which goes first, so that drift on the machine hits all alike.
        first = n % len(MODES)
        for mode in MODES[first:] + MODES[:first]:
            db = base / f"round{n}.db" if mode == "followupd" else None
            runs[mode].append(run_child(mode, port, db))
    rate: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for mode, results in runs.items():
        counts = {int(r["messages"]) for r in results}
        if counts != {args.messages}:
            raise SystemExit(f"{mode} saw {sorted(counts)} messages, not {args.messages}")
        rates = [r["messages"] / r["seconds"] for r in results]
        rate[mode] = statistics.median(rates)
        cpu[mode] = statistics.median(r["cpu"] / r["messages"] * 1e6 for r in results)
        shown = ", ".join(f"{x:.0f}" for x in rates)
        print(
            f"{mode:9s}: median {rate[mode]:6.0f} msg/s, {cpu[mode]:5.1f} us CPU/msg"
            f"  (rounds: {shown} msg/s)"
        )
    ratio = rate["followupd"] / rate["baseline"]
    rss = max(r["rss_mib"] for r in runs["followupd"])
    base_rss = max(r["rss_mib"] for r in runs["baseline"])
    print(f"cpus: {os.cpu_count()}, batch: {BATCH} UIDs, rounds: {args.rounds}")
    ratio_ok, rss_ok = ratio >= TARGET_RATIO, rss <= TARGET_RSS_MIB
    print(f"ratio followupd/baseline: {ratio:.2f}  target >= {TARGET_RATIO}: {_met(ratio_ok)}")
    strict = rate["followupd"] / rate["strict"]
    print(f"ratio followupd/strict:   {strict:.2f}  (imapclient left at its cheapest too)")
    print(f"CPU per message, baseline/followupd: {cpu['baseline'] / cpu['followupd']:.2f}")
    print(f"peak RSS followupd: {rss:.0f} MiB  target <= {TARGET_RSS_MIB:.0f} MiB: {_met(rss_ok)}")
    print(f"peak RSS baseline:  {base_rss:.0f} MiB (for reference)")


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
