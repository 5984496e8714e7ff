"""Send throughput: followupd's guarded send path against a bare aiosmtplib loop.

    python bench/send_throughput.py [--sends N]

Runs twice, once per way a copy of each follow-up reaches the rep's Sent folder: followupd
APPENDs it (``saves_sent = false``), or the provider files what it accepts
(``saves_sent = true``; the embedded server then APPENDs the copy before it answers the
final "."). Each run starts a test world (embedded pymap IMAP, aiosmtpd, SQLite, simulated
clock) with ``approval_policy = "auto"``, enrolls N threads, lets the drafts be approved, and
takes the ``send:`` jobs off the scheduler. Then, timed:

- followupd: for each approved step in slot order, the clock jumps to its slot and
  ``send_step`` runs it to the end, every check on: outbox row ``planned``, claimed, a fresh
  look at every watched folder (INBOX and Sent) right before MAIL FROM, the thread re-read
  under the lock, ``transmitting``, ``committing`` before the final ".", accepted, filed in
  Sent where followupd does it, recorded. One SMTP connection (the daemon's sender keeps it);
  its connect and login fall inside the first send.
- pre-send check: inside those sends, the time from the start of the look (the watcher's
  ``request_sync``, ``UID n:*`` per folder) until the mail it found was processed
  (``inbound_drained``): p50 / p99 / max.
- baseline: afterwards, against the same server, one aiosmtplib connection, connect and
  login included, ``sendmail`` of the very bytes followupd sent, to the same recipients.

Figures, not a test: nothing fails on a number.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import aiosmtplib
from sqlalchemy import func, select

from followupd.config import SmtpSettings
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.send import send_step
from followupd.demo.servers import Received
from followupd.demo.world import REP, SMTP_PASSWORD, SMTP_USER, World
from followupd.model import Outbox
from followupd.smtp.sender import SmtpSender

AUTO = {"approval_policy": "auto"}


@dataclass
class CheckProbe:
    """Times the pre-send check inside real sends: from the start of the look at the folders
    until the mail it handed over has been processed."""

    samples: list[float] = field(default_factory=list)
    _started: float | None = None

    def begin(self) -> None:
        self._started = time.perf_counter()

    def end(self) -> None:
        if self._started is not None:
            self.samples.append(time.perf_counter() - self._started)
            self._started = None


class TimedSender(SmtpSender):
    """The daemon's sender, unchanged but for noting when ``before_mail`` begins: its first
    act is the look at the folders, and the runtime's drain that follows ends the check."""

    def __init__(self, settings: SmtpSettings, password: str, probe: CheckProbe) -> None:
        super().__init__(settings, password)
        self._probe = probe

    async def send(
        self,
        raw: bytes,
        *,
        sender: str,
        recipients: Sequence[str],
        before_mail: Callable[[], Awaitable[bool]] | None = None,
        before_end_of_data: Callable[[], Awaitable[None]] | None = None,
    ) -> str | None:
        timed = None
        if before_mail is not None:
            inner = before_mail

            async def timed() -> bool:
                self._probe.begin()
                return await inner()

        return await super().send(
            raw,
            sender=sender,
            recipients=recipients,
            before_mail=timed,
            before_end_of_data=before_end_of_data,
        )


@dataclass(frozen=True)
class RunResult:
    label: str
    folders: tuple[str, ...]
    sent: int
    followupd_seconds: float
    baseline_seconds: float
    checks: list[float]
    stray_jobs: int


async def _instrument(rt: Runtime, mb: MailboxRuntime, probe: CheckProbe) -> None:
    old = mb.sender
    mb.sender = TimedSender(mb.settings.smtp, rt.config.password(mb.settings.name, "smtp"), probe)
    await old.close()
    inner = rt.drain

    async def drain() -> None:
        if inner is not None:
            await inner()
        probe.end()

    rt.drain = drain


async def _approve(w: World, rt: Runtime, count: int) -> list[tuple[datetime, int]]:
    """Move time on until ``count`` steps are approved; their send jobs are taken off the
    scheduler, to be run by hand. Returns (slot, step id) in slot order."""
    slots: dict[int, datetime] = {}
    for _ in range(count * 4 + 40):  # bounded: a draft job per thread, and a few others
        for job, at in rt.scheduler.armed().items():
            if job.startswith("send:"):
                rt.scheduler.disarm(job)
                slots[int(job.split(":", 1)[1])] = at
        if len(slots) >= count:
            break
        others = [at for job, at in rt.scheduler.armed().items() if not job.startswith("send:")]
        if not others:
            break
        w.clock.jump_to(min(others))
        await w.settle()
    if len(slots) < count:
        raise SystemExit(f"only {len(slots)} of {count} drafts were approved")
    return sorted((at, step_id) for step_id, at in slots.items())


def _followups(w: World) -> list[Received]:
    return [r for r in w.smtp.received if r.message.get("In-Reply-To") and REP not in r.rcpt_tos]


async def _recorded(rt: Runtime) -> int:
    async with rt.db.transaction() as session:
        n = await session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.state == "recorded")
        )
        return int(n or 0)


async def _baseline(port: int, mails: list[Received]) -> float:
    started = time.perf_counter()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, use_tls=False)
    await client.connect()
    await client.login(SMTP_USER, SMTP_PASSWORD)
    for mail in mails:
        await client.sendmail(REP, mail.rcpt_tos, mail.raw)
    elapsed = time.perf_counter() - started
    await client.quit()
    return elapsed


async def run(workdir: Path, sends: int, *, provider_saves: bool) -> RunResult:
    label = "provider files the copy" if provider_saves else "followupd APPENDs the copy"
    async with World(workdir, mailbox_extra=AUTO, provider_saves_sent=provider_saves) as w:
        assert w.daemon is not None and w.daemon.rt is not None
        rt = w.daemon.rt
        (mb,) = rt.mailboxes.values()
        assert mb.watcher is not None
        for i in range(sends):
            await w.rep_sends_pi(
                subject=f"PI 2026-{1000 + i} bearings",
                buyer=f"buyer{i}@b{i}.test",
                buyer_name=f"Buyer {i}",
            )
        plan = await _approve(w, rt, sends)
        probe = CheckProbe()
        await _instrument(rt, mb, probe)
        mine = {f"send:{step_id}" for _at, step_id in plan}
        stray = 0
        spent = 0.0
        for at, step_id in plan:
            # Another job falling due inside the window would run alongside and be timed too.
            stray += sum(
                1 for job, due in rt.scheduler.armed().items() if due <= at and job not in mine
            )
            w.clock.jump_to(at)
            # The jump makes the scheduler re-arm every job (a callback queued on the loop),
            # which costs more with each recorded send's next step: a cost of the simulated
            # clock, not of sending. One turn of the loop runs it before the timer starts.
            await asyncio.sleep(0)
            started = time.perf_counter()
            await send_step(rt, step_id)
            spent += time.perf_counter() - started
        sent = await _recorded(rt)
        mails = _followups(w)
        baseline = await _baseline(w.smtp.port, mails)
        return RunResult(
            label=label,
            folders=tuple(f.name for f in mb.watcher.folders),
            sent=min(sent, len(mails)),
            followupd_seconds=spent,
            baseline_seconds=baseline,
            checks=probe.samples,
            stray_jobs=stray,
        )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(result: RunResult, sends: int) -> None:
    print(f"{result.label} (watched: {', '.join(result.folders)})")
    if result.sent < sends:
        print(f"  only {result.sent} of {sends} follow-ups were sent and recorded")
    if result.sent == 0:
        return
    base = result.sent / result.baseline_seconds
    ours = result.sent / result.followupd_seconds
    print(f"  baseline   {base:8.1f} sends/s   ({1000 / base:6.2f} ms/send)")
    print(
        f"  followupd  {ours:8.1f} sends/s   ({1000 / ours:6.2f} ms/send)   "
        f"ratio followupd/baseline {ours / base:.3f}"
    )
    if result.checks:
        c = [s * 1000 for s in result.checks]
        print(
            f"  pre-send check over {len(c)} sends: p50 {statistics.median(c):.2f} ms  "
            f"p99 {_pct(c, 0.99):.2f} ms  max {max(c):.2f} ms"
        )
    if result.stray_jobs:
        print(f"  note: {result.stray_jobs} other job(s) fell due during the timed sends")


async def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sends",
        type=int,
        default=100,
        help="follow-ups per run (default 100; pymap keeps ~90 KB per stored message)",
    )
    args = ap.parse_args()
    if args.sends < 1:
        ap.error("--sends must be at least 1")
    print(
        f"python {sys.version.split()[0]}, aiosmtplib {version('aiosmtplib')}, "
        f"aiosmtpd {version('aiosmtpd')}, pymap {version('pymap')}; "
        f"{args.sends} sends per run"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for provider_saves in (False, True):
            workdir = Path(tmp) / ("provider" if provider_saves else "followupd")
            workdir.mkdir()
            _report(await run(workdir, args.sends, provider_saves=provider_saves), args.sends)


if __name__ == "__main__":
    asyncio.run(main())
