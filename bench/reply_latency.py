"""Reply-detection latency: a buyer's reply lands in the mailbox → followupd has stopped.

    python bench/reply_latency.py [--replies N] [--server pymap|dovecot|both]

For each of N threads with an approved follow-up waiting for its slot, a buyer reply is
APPENDed to INBOX by a separate IMAP client; the clock starts when the APPEND completed and
stops when the database shows the thread ``replied`` and its pending send cancelled. Prints
p50 / p99 / max per server, next to the server's own push delay (IMAP IDLE on pymap pushes
at once; Dovecot waits a fixed 0.5 s before it pushes). Figures, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from sqlalchemy import select

from followupd.demo.world import BUYER_NAME, REP, World
from followupd.model import Step, Thread

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers.dovecot import DovecotServer, DovecotStore, dovecot_binary

# A Friday evening in Chicago: every approved follow-up waits for Monday, so no send fires
# while replies are being measured.
START = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
TIMEOUT = 10.0


def _reply(root: str, buyer: str) -> bytes:
    msg = EmailMessage(policy=default_policy)
    msg["From"] = f"{BUYER_NAME} <{buyer}>"
    msg["To"] = REP
    msg["Subject"] = "RE: PI"
    msg["Message-ID"] = f"<{secrets.token_hex(8)}@buyer-corp.test>"
    msg["In-Reply-To"] = f"<{root}>"
    msg["References"] = f"<{root}>"
    msg["Date"] = "Fri, 27 Nov 2026 19:00:00 -0600"
    msg.set_content("Thanks, we will come back to you.")
    return msg.as_bytes()


async def _stopped(w: World, root: str) -> bool:
    assert w.daemon is not None and w.daemon.rt is not None
    async with w.daemon.rt.db.transaction() as session:
        thread = await session.scalar(select(Thread).where(Thread.root_message_id == root))
        if thread is None or thread.state != "replied":
            return False
        open_steps = await session.scalars(
            select(Step.id).where(Step.thread_id == thread.id, Step.state == "approved")
        )
        return not open_steps.all()


async def measure(w: World, replies: int) -> list[float]:
    buyers = [f"buyer{i}@buyer-corp.test" for i in range(replies)]
    roots = [
        await w.rep_sends_pi(subject=f"PI 2026-{100 + i}", buyer=b) for i, b in enumerate(buyers)
    ]
    await w.advance_until(lambda: len(w.reviews()) == replies, limit=replies * 3)
    for review in w.reviews():
        await w.rep_replies(review, "approve")
    client = await asyncio.to_thread(w.imap.client, w.imap_user)
    latencies: list[float] = []
    try:
        for root, buyer in zip(roots, buyers, strict=True):
            raw = _reply(root, buyer)
            await asyncio.to_thread(client.append, "INBOX", raw)
            started = time.perf_counter()
            while not await _stopped(w, root):
                if time.perf_counter() - started > TIMEOUT:
                    raise SystemExit(f"no reaction within {TIMEOUT} s")
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - started)
    finally:
        await asyncio.to_thread(client.logout)
    return latencies


def _report(server: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{server:8} replies={len(ordered):4d}  p50={statistics.median(ordered):.3f} s  "
        f"p99={p99:.3f} s  max={ordered[-1]:.3f} s"
    )
    if server == "dovecot":
        print(
            f"         target p99 <= 1.000 s (incl. Dovecot's 0.5 s push delay): "
            f"{'met' if p99 <= 1.0 else 'NOT met'}"
        )


def _dovecot(tmp: Path) -> DovecotServer:
    # The mail processes run as uid 65534 and must reach their home directories.
    base = tmp / "dovecot"
    base.mkdir(mode=0o755)
    tmp.chmod(0o755)
    server = DovecotServer(base)
    server.add_user("anna", "anna-imap-secret")  # before start: usable at once
    return server


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--replies", type=int, default=60)
    ap.add_argument("--server", choices=("pymap", "dovecot", "both"), default="both")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.server in ("pymap", "both"):
            (Path(tmp) / "pymap").mkdir()
            async with World(Path(tmp) / "pymap", start=START) as w:
                _report("pymap", await measure(w, args.replies))
        if args.server in ("dovecot", "both"):
            if dovecot_binary() is None:
                print("dovecot   not installed: skipped")
                return
            with _dovecot(Path(tmp)) as server:
                store = DovecotStore(server)
                (Path(tmp) / "dv").mkdir()
                async with World(
                    Path(tmp) / "dv",
                    imap=store,
                    imap_user="anna",
                    imap_password="anna-imap-secret",
                    start=START,
                ) as w:
                    _report("dovecot", await measure(w, args.replies))


if __name__ == "__main__":
    asyncio.run(main())
