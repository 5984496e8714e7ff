"""The send-slot picker: one instant for one step, with the reasons for it.

Pure: the clock (``now``), the mailbox's schedule and the seed are handed in, so the same
request always gives the same slot. The search walks the buyer's local days from the step's
earliest moment (or from ``now`` if that has passed: a slot missed during downtime is picked
again forward, inside working hours, never as a catch-up burst at night) and keeps the days
that have at least one allowed minute. Among the good days within the slack one is drawn with
the policy's weights (Thursday/Friday and month-end preferred), then one of its minutes
uniformly. If no day within the slack has a minute, the first good day after it is used and
the reasons say so; past ``horizon_days`` the picker gives up with a FollowupdError.

Local times come from zoneinfo. A local minute is used only if it exists exactly once: minutes
in a spring-forward gap and minutes that a fall-back repeats are both skipped, so a slot's
local time always names one instant and reads the same to the buyer and in our logs.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from followupd.errors import FollowupdError
from followupd.timing.calendar import Closure, closure_on, day_off_reason, is_make_up_day
from followupd.timing.policy import SlotPolicy, in_window
from followupd.timing.zonedata import check_zone


@dataclass(frozen=True, kw_only=True)
class SlotRequest:
    """Everything the picker needs, as plain values.

    ``earliest``: the step's earliest moment; ``slack``: how much later it may go;
    ``mailbox_schedule``: the instants already planned for the sending mailbox, whose days
    for ``daily_cap`` are counted in ``mailbox_zone`` (the rep's); ``buyer_touches`` and
    ``busy_days`` (buyer-local dates) are days this buyer already gets a touch;
    ``closures`` are the seller's own closed days.
    """

    earliest: datetime
    now: datetime
    zone: str
    country: str | None = None
    slack: timedelta = timedelta(0)
    seed: int = 0
    policy: SlotPolicy = field(default_factory=SlotPolicy)
    mailbox_zone: str = "UTC"
    mailbox_schedule: tuple[datetime, ...] = ()
    buyer_touches: tuple[datetime, ...] = ()
    busy_days: frozenset[date] = frozenset()
    closures: tuple[Closure, ...] = ()

    def __post_init__(self) -> None:
        for name in ("earliest", "now"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise FollowupdError(f"{name} must be timezone-aware, got {value.isoformat()}")
        if self.slack < timedelta(0):
            raise FollowupdError(f"slack must not be negative, got {self.slack}")
        check_zone(self.zone)
        check_zone(self.mailbox_zone)

    def start(self) -> datetime:
        """The moment the search starts: the earliest moment, or now if that has passed."""
        return max(self.earliest, self.now).astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class SlotChoice:
    """The picked instant (UTC), the same in the buyer's zone, and why it was picked."""

    send_at_utc: datetime
    local: datetime
    zone: str
    within_slack: bool
    reasons: tuple[str, ...]

    def explain(self) -> str:
        """The reasons, one per line, for a human."""
        return "\n".join(f"- {reason}" for reason in self.reasons)


def pick_slot(request: SlotRequest) -> SlotChoice:
    """One send instant for ``request`` that satisfies every rule (see the module doc)."""
    tz = ZoneInfo(request.zone)
    policy = request.policy
    start = request.start()
    first_day = start.astimezone(tz).date()
    last_slack_day = (start + request.slack).astimezone(tz).date()
    book = _MailboxBook(request)
    busy = _busy_days(request, tz)
    reasons = [_opening(request, tz, first_day, last_slack_day)]
    good: list[tuple[date, list[datetime]]] = []
    for offset in range(policy.horizon_days + 1):
        day = first_day + timedelta(days=offset)
        if good and day > last_slack_day:
            break
        slots, why = _day_slots(day, request, tz, start, book, busy)
        if slots:
            good.append((day, slots))
        else:
            reasons.append(f"{day:%a %Y-%m-%d}: {why}")
    if not good:
        first = reasons[1] if len(reasons) > 1 else "none"
        raise FollowupdError(
            f"no send slot within {policy.horizon_days} days after {start:%Y-%m-%d %H:%M} UTC "
            f"in {request.zone}: every day is excluded (the first: {first})"
        )
    rng = random.Random(request.seed)
    within = [(d, s) for d, s in good if d <= last_slack_day]
    if within:
        weights = [policy.day_weight(d) for d, _ in within]
        day, slots = rng.choices(within, weights=weights)[0]
        reasons.append(_day_reason(day, within, policy))
    else:
        day, slots = good[0]
        reasons.append(
            f"{day:%a %Y-%m-%d}: no day within the slack has a free slot, so the first good "
            "day after it is used"
        )
    instant = rng.choice(slots)
    local = instant.astimezone(tz)
    reasons.extend(_slot_reasons(local, request, book))
    return SlotChoice(
        send_at_utc=instant,
        local=local,
        zone=request.zone,
        within_slack=bool(within),
        reasons=tuple(reasons),
    )


def slot_problems(instant: datetime, request: SlotRequest) -> list[str]:
    """Which rules ``instant`` breaks for ``request`` (empty if none): to re-check a slot."""
    tz = ZoneInfo(request.zone)
    local = instant.astimezone(tz)
    problems: list[str] = []
    policy = request.policy
    if instant < request.start():
        problems.append(f"{instant.isoformat()} is before {request.start().isoformat()}")
    if _instant(datetime.combine(local.date(), local.time()), tz) != instant.astimezone(UTC):
        problems.append(f"{local:%Y-%m-%d %H:%M} does not exist exactly once in {request.zone}")
    if not in_window(local.time(), policy.window_minutes) or local.time() not in set(
        policy.minutes()
    ):
        problems.append(f"{local:%H:%M:%S} is not an allowed minute ({policy.describe_hours()})")
    off = day_off_reason(local.date(), country=request.country, weekend=policy.weekend)
    if off is not None:
        problems.append(f"{local:%Y-%m-%d} is not a working day: {off}")
    if local.date() in _busy_days(request, tz):
        problems.append(f"{local:%Y-%m-%d} already has a touch to this buyer")
    closed = _closure_for(instant, request, tz)
    if closed is not None:
        problems.append(f"the seller is closed then ({closed.name})")
    why = _MailboxBook(request).refuses(instant)
    if why is not None:
        problems.append(why)
    return problems


class _MailboxBook:
    """The sending mailbox's planned sends: daily counts (rep's days) and gaps between sends."""

    def __init__(self, request: SlotRequest) -> None:
        self._zone = ZoneInfo(request.mailbox_zone)
        self._times = sorted(t.astimezone(UTC) for t in request.mailbox_schedule)
        self._per_day = Counter(self.day_of(t) for t in self._times)
        self._cap = request.policy.daily_cap
        self._gap = timedelta(minutes=request.policy.min_gap_minutes)

    def day_of(self, instant: datetime) -> date:
        return instant.astimezone(self._zone).date()

    def sends_on(self, instant: datetime) -> int:
        return self._per_day[self.day_of(instant)]

    def nearest(self, instant: datetime) -> timedelta | None:
        i = bisect_left(self._times, instant)
        near = [abs(self._times[j] - instant) for j in (i - 1, i) if 0 <= j < len(self._times)]
        return min(near, default=None)

    def refuses(self, instant: datetime) -> str | None:
        if not self._times:
            return None
        if self._cap is not None and self.sends_on(instant) >= self._cap:
            return f"the mailbox already has {self._cap} sends on {self.day_of(instant)}"
        nearest = self.nearest(instant)
        if self._gap and nearest is not None and nearest < self._gap:
            return f"another send from the mailbox is {_minutes(nearest)} min away"
        return None


def _day_slots(
    day: date,
    request: SlotRequest,
    tz: ZoneInfo,
    start: datetime,
    book: _MailboxBook,
    busy: frozenset[date],
) -> tuple[list[datetime], str]:
    """The allowed instants of the buyer's local ``day``, or none and why not."""
    off = day_off_reason(day, country=request.country, weekend=request.policy.weekend)
    if off is not None:
        return [], off
    if day in busy:
        return [], "already a touch to this buyer that day"
    closed = closure_on(day, request.closures)
    if closed is not None:
        return [], f"the seller is closed ({closed.name})"
    slots: list[datetime] = []
    lost: Counter[str] = Counter()
    for minute in request.policy.minutes():
        instant = _instant(datetime.combine(day, minute), tz)
        if instant is None:
            lost["do not exist exactly once (clock change)"] += 1
        elif instant < start:
            lost["are before the earliest moment"] += 1
        elif _closure_for(instant, request, tz) is not None:
            lost["fall on a day the seller is closed"] += 1
        elif book.refuses(instant) is not None:
            lost["are refused by the mailbox's daily cap or minimum gap"] += 1
        else:
            slots.append(instant)
    summary = ", ".join(f"{n} {what}" for what, n in lost.items())
    return slots, f"no allowed minute left: {summary}"


def _instant(naive: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of local ``naive`` in ``tz``, or None if it is in a gap or repeated."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    # PEP 495: both folds agree exactly when the wall time happens once; in a gap they give
    # the offsets before and after the change, in a repeat the two occurrences.
    if first.utcoffset() != second.utcoffset():
        return None
    return first.astimezone(UTC)


def _closure_for(instant: datetime, request: SlotRequest, tz: ZoneInfo) -> Closure | None:
    # A closure is in the seller's calendar, but a send on a date the buyer sees as a closed
    # day looks just as odd: both dates must be open.
    if not request.closures:
        return None
    rep_day = instant.astimezone(ZoneInfo(request.mailbox_zone)).date()
    buyer_day = instant.astimezone(tz).date()
    return closure_on(rep_day, request.closures) or closure_on(buyer_day, request.closures)


def _busy_days(request: SlotRequest, tz: ZoneInfo) -> frozenset[date]:
    touched = {t.astimezone(tz).date() for t in request.buyer_touches}
    return request.busy_days | touched


def _opening(request: SlotRequest, tz: ZoneInfo, first: date, last: date) -> str:
    earliest = request.earliest.astimezone(tz)
    text = f"earliest moment {earliest:%a %Y-%m-%d %H:%M} in {request.zone}"
    if request.earliest < request.now:
        now = request.now.astimezone(tz)
        text += (
            f", already past at {now:%a %Y-%m-%d %H:%M}: picked again forward from now, "
            "inside working hours (no catch-up burst)"
        )
    span = f"{first:%a %Y-%m-%d}" if first == last else f"{first:%a %Y-%m-%d} to {last:%a %Y-%m-%d}"
    return f"{text}; slack {_duration(request.slack)}, so days {span}"


def _day_reason(day: date, within: list[tuple[date, list[datetime]]], policy: SlotPolicy) -> str:
    if len(within) == 1:
        return f"{day:%a %Y-%m-%d}: the only day within the slack with a free slot"
    weights = ", ".join(f"{d:%a %d} x{policy.day_weight(d):g}" for d, _ in within)
    return (
        f"{day:%a %Y-%m-%d}: drawn among {len(within)} good days within the slack by weight "
        f"({weights}; Thursday/Friday and days {policy.month_end_from_day}-31 are preferred)"
    )


def _slot_reasons(local: datetime, request: SlotRequest, book: _MailboxBook) -> list[str]:
    policy = request.policy
    hour = local.hour + 1 if local.minute >= 30 else local.hour
    side = "before" if local.minute >= 30 else "after"
    distance = 60 - local.minute if local.minute >= 30 else local.minute
    reasons = [
        f"{local:%H:%M} local ({local:%Z}, UTC{local:%z}): {distance} min {side} "
        f"{hour % 24:02d}:00, never on the hour; {policy.describe_hours()}"
    ]
    day = local.date()
    if request.country is None:
        reasons.append(f"{day:%a %Y-%m-%d} is not a weekend day (buyer's country unknown)")
    elif is_make_up_day(day, request.country):
        reasons.append(
            f"{day:%a %Y-%m-%d} is a make-up working day in {request.country} (holidays library)"
        )
    else:
        reasons.append(
            f"{day:%a %Y-%m-%d} is a working day in {request.country}: no public holiday "
            "(holidays library) and not a weekend day there"
        )
    tz = local.tzinfo
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    if midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset():
        reasons.append(
            f"the clocks change in {request.zone} on this day; the local time above exists "
            "exactly once"
        )
    sends = book.sends_on(local)
    limit = f" of at most {policy.daily_cap}" if policy.daily_cap is not None else ""
    nearest = book.nearest(local.astimezone(UTC))
    gap = f"; nearest other send {_minutes(nearest)} min away" if nearest is not None else ""
    reasons.append(
        f"mailbox: send {sends + 1}{limit} on {book.day_of(local)} ({request.mailbox_zone})"
        f"{gap}; minimum gap {policy.min_gap_minutes} min"
    )
    return reasons


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _duration(delta: timedelta) -> str:
    if delta % timedelta(days=1) == timedelta(0):
        return f"{delta.days} day(s)"
    return f"{delta.total_seconds() / 3600:g} h"
