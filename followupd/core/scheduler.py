"""Due work, driven by APScheduler and rebuilt from the database.

Each armed job has a stable id (``draft:<step>``, ``send:<step>``, ...), so arming is
idempotent: arming again replaces the earlier timer. Instants are in the injected clock's time;
APScheduler runs on real time, so the instant is converted with ``Clock.wall_time_for`` and all
timers are re-armed when a simulated clock jumps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from followupd.clock import Clock

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class WorkScheduler:
    """Arms one-shot jobs at clock instants."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._armed: dict[str, tuple[datetime, Job]] = {}
        self._running = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        clock.on_jump(self._on_jump)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._aps.start()

    def shutdown(self) -> None:
        self._stopping = True
        if self._aps.running:
            self._aps.shutdown(wait=False)

    def arm(self, job_id: str, at: datetime, job: Job) -> None:
        """Run ``job`` at clock instant ``at`` (replacing any job with the same id)."""
        self._armed[job_id] = (at, job)
        self._aps.add_job(
            self._runner(job_id, job),
            trigger=DateTrigger(run_date=self._clock.wall_time_for(at)),
            id=job_id,
            replace_existing=True,
            # A job whose moment passed while the daemon was down still runs (once); the job
            # itself decides whether its moment is still good.
            misfire_grace_time=None,
            coalesce=True,
            # A job may arm its own id again while it runs (a step planned again for now);
            # that run must not be dropped. Jobs re-read the database, so overlap is safe.
            max_instances=2,
        )
        log.debug("armed %s at %s", job_id, at.isoformat())

    def disarm(self, job_id: str) -> None:
        self._armed.pop(job_id, None)
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(job_id)

    def armed(self) -> dict[str, datetime]:
        """Job id → clock instant, for every job not yet run."""
        return {k: at for k, (at, _) in self._armed.items()}

    @property
    def stopping(self) -> bool:
        """True once shutdown began: a job that waits may stop early and leave its work to
        the next start (its state is in the database)."""
        return self._stopping

    @property
    def busy(self) -> bool:
        """True while a job is running."""
        return self._running > 0

    def _runner(self, job_id: str, job: Job) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            entry = self._armed.get(job_id)
            if entry is None or entry[1] is not job:
                return  # disarmed or replaced meanwhile
            del self._armed[job_id]
            self._running += 1
            try:
                await job()
            except Exception:
                # One failing job must never stop the others; its state stays in the database
                # and is rebuilt at the next start.
                log.exception("job %s failed", job_id)
            finally:
                self._running -= 1

        return run

    def _on_jump(self) -> None:
        loop = self._loop
        if loop is None:
            return
        loop.call_soon_threadsafe(self._rearm_all)

    def _rearm_all(self) -> None:
        for job_id, (at, job) in list(self._armed.items()):
            self.arm(job_id, at, job)
