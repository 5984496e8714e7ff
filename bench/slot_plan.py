"""Send-slot planning at scale, and how punctually the scheduler fires the planned slots.

    python bench/slot_plan.py [--steps N] [--jobs N] [--seconds S]

1. Plans ``--steps`` follow-ups (default 10,000) for buyers in 50 countries, spread over six
   weeks that include Christmas, New Year and the end of a month, from 25 mailboxes with a
   daily cap and a minimum gap, with ``followupd.timing.pick_slot``. Prints the share of
   picks that obey every rule by an independent check (target 100%), the share inside the
   step's slack, and picks/s against a raw baseline that draws a random minute of the
   earliest day with ``random`` and no rule at all (its own share inside the rules is shown).
2. Arms ``--jobs`` of the planned slots (default 200), compressed in order into a window of
   ``--seconds`` (default 20) of real time, on the daemon's ``WorkScheduler``
   (APScheduler 3 ``AsyncIOScheduler``) and prints the fire jitter, actual minus planned:
   p50, p99 and max (target p99 <= 5 s).

Figures, not a test: nothing fails here.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from followupd.clock import SystemClock
from followupd.core.scheduler import Job, WorkScheduler
from followupd.timing import (
    SlotPolicy,
    SlotRequest,
    ZoneEvidence,
    pick_slot,
    resolve_zone,
)

COUNTRIES = (
    "US", "DE", "GB", "FR", "IT", "ES", "NL", "PL", "SE", "TR", "RU", "UA", "AE", "SA", "QA",
    "EG", "IL", "IN", "PK", "BD", "CN", "JP", "KR", "VN", "TH", "MY", "ID", "PH", "SG", "AU",
    "NZ", "BR", "AR", "CL", "MX", "CO", "PE", "CA", "ZA", "NG", "KE", "MA", "IR", "KZ", "NP",
    "LK", "GR", "PT", "CZ", "RO",
)  # fmt: skip
MAILBOXES = 25
START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
POLICY = SlotPolicy(daily_cap=200, min_gap_minutes=2)


@functools.cache
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def obeys_rules(instant: datetime, zone: str, country: str, start: datetime) -> bool:
    """Minute window, hours, one-time local minute and working day, checked independently."""
    tz = ZoneInfo(zone)
    local = instant.astimezone(tz)
    naive = local.replace(tzinfo=None)
    once = (
        naive.replace(tzinfo=tz, fold=0).utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset()
    )
    minute_ok = local.second == 0 and (1 <= local.minute <= 5 or local.minute >= 55)
    hours_ok = (10, 1) <= (local.hour, local.minute) <= (16, 5)
    working = _calendar(country, local.year).is_working_day(local.date())
    return once and minute_ok and hours_ok and working and instant >= start


def plan(steps: int) -> tuple[list[tuple[SlotRequest, datetime, str]], float, float]:
    rng = random.Random(1)
    zones = {cc: resolve_zone(ZoneEvidence(country=cc), at=START).zone for cc in COUNTRIES}
    schedules: list[list[datetime]] = [[] for _ in range(MAILBOXES)]
    planned: list[tuple[SlotRequest, datetime, str]] = []
    elapsed = 0.0
    for n in range(steps):
        country = COUNTRIES[n % len(COUNTRIES)]
        earliest = START + timedelta(seconds=rng.uniform(0, 42 * 86400))
        request = SlotRequest(
            earliest=earliest,
            now=earliest,
            zone=zones[country],
            country=country,
            slack=timedelta(days=rng.choice((0, 1, 2, 3, 5))),
            seed=n,
            policy=POLICY,
            mailbox_zone="Asia/Shanghai",
            mailbox_schedule=tuple(schedules[n % MAILBOXES]),
        )
        began = time.perf_counter()
        choice = pick_slot(request)
        elapsed += time.perf_counter() - began
        schedules[n % MAILBOXES].append(choice.send_at_utc)
        planned.append((request, choice.send_at_utc, country))
    within = sum(
        (r.start() + r.slack).astimezone(ZoneInfo(r.zone)).date()
        >= t.astimezone(ZoneInfo(r.zone)).date()
        for r, t, _ in planned
    )
    return planned, steps / elapsed, within / steps


def baseline(planned: list[tuple[SlotRequest, datetime, str]]) -> tuple[float, float]:
    """A random minute of the earliest day, no rule: the cost floor of producing an instant."""
    rng = random.Random(1)
    minutes = POLICY.minutes()
    began = time.perf_counter()
    picks = []
    for request, _, _ in planned:
        tz = ZoneInfo(request.zone)
        day: date = request.earliest.astimezone(tz).date()
        local = datetime.combine(day, rng.choice(minutes), tzinfo=tz)
        picks.append(local.astimezone(UTC))
    rate = len(planned) / (time.perf_counter() - began)
    good = sum(
        obeys_rules(p, r.zone, c, r.start()) for p, (r, _, c) in zip(picks, planned, strict=True)
    )
    return rate, good / len(planned)


async def jitter(slots: list[datetime], seconds: float) -> list[float]:
    """Arm ``slots`` compressed into ``seconds`` of real time; actual minus planned, in s."""
    clock = SystemClock()
    scheduler = WorkScheduler(clock)
    scheduler.start()
    first, last = min(slots), max(slots)
    span = (last - first).total_seconds() or 1.0
    origin = clock.now() + timedelta(seconds=2)
    lateness: list[float] = []
    done = asyncio.Event()

    def job_for(planned: datetime) -> Job:
        async def job() -> None:
            lateness.append((clock.now() - planned).total_seconds())
            if len(lateness) == len(slots):
                done.set()

        return job

    for n, slot in enumerate(sorted(slots)):
        planned = origin + timedelta(seconds=(slot - first).total_seconds() / span * seconds)
        scheduler.arm(f"send:{n}", planned, job_for(planned))
    try:
        await asyncio.wait_for(done.wait(), timeout=seconds + 60)
    finally:
        scheduler.shutdown()
    return lateness


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()

    planned, rate, within_slack = plan(args.steps)
    inside = sum(obeys_rules(t, r.zone, c, r.start()) for r, t, c in planned) / len(planned)
    raw_rate, raw_inside = baseline(planned)
    print(f"steps: {len(planned)} in {len(COUNTRIES)} countries, {MAILBOXES} mailboxes")
    print(f"inside the rules (independent check): {inside:8.2%}   (target 100%)")
    print(f"inside the step's slack:              {within_slack:8.2%}")
    print(f"pick_slot:                {rate:10.0f} picks/s")
    print(f"raw random minute:        {raw_rate:10.0f} picks/s ({raw_inside:.1%} inside the rules)")
    print(f"ratio: {rate / raw_rate:.3f}")

    slots = [t for _, t, _ in planned[: args.jobs]]
    lateness = asyncio.run(jitter(slots, args.seconds))
    print(
        f"scheduler jitter over {len(lateness)} jobs in {args.seconds:g} s: "
        f"p50 {statistics.median(lateness):.3f} s, p99 {percentile(lateness, 0.99):.3f} s, "
        f"max {max(lateness):.3f} s   (target p99 <= 5 s)"
    )


if __name__ == "__main__":
    main()
