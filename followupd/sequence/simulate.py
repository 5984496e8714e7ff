"""A cadence played out for an imagined buyer, with the planner and slot picker the daemon uses.

Answers "what would this buyer get, and when?" without servers or a database: for the tests
of every shipped cadence, and for a rep choosing one. The rep is assumed to approve every
draft at once; a task's reminder counts as a touch when it is due, as in the daemon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from followupd.sequence.cadence import Cadence
from followupd.sequence.planner import ThreadFacts, plan
from followupd.timing import SlotPolicy, SlotRequest, pick_slot

# Bounds the loop for any cadence: every round either ends or uses up at least one step.
_MAX_ROUNDS = 100


@dataclass(frozen=True, kw_only=True)
class Buyer:
    """How the imagined buyer behaves.

    ``reads``: displays every follow-up (a read receipt comes back) but never answers;
    ``replies_after``: answers after that many touches, which ends the cadence.
    """

    reads: bool = False
    replies_after: int | None = None


@dataclass(frozen=True, kw_only=True)
class Touch:
    """One touch: a follow-up mail sent to the buyer, or a task reminder to the rep."""

    number: int
    kind: str
    template: str
    at: datetime
    channel: str | None = None
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    touches: tuple[Touch, ...]
    skipped: tuple[tuple[int, str], ...] = ()
    ended: str = "cadence finished"
    dates: Mapping[str, date] = field(default_factory=dict)


def simulate(
    cadence: Cadence,
    *,
    enrolled: datetime,
    tz: ZoneInfo,
    country: str | None = None,
    policy: SlotPolicy | None = None,
    buyer: Buyer = Buyer(),
    dates: Mapping[str, date] | None = None,
    changes: Mapping[int, Mapping[str, date]] | None = None,
    paid: datetime | None = None,
) -> Outcome:
    """The touches ``cadence`` makes after ``enrolled``; ``changes`` after touch N move dates.

    Mails go at the slots the daemon would pick for a buyer in ``tz`` and ``country`` (their
    holidays and weekend) under ``policy`` (default: the default working hours and weights).
    """
    current = dict(dates or {})
    touches: list[Touch] = []
    skipped: list[tuple[int, str]] = []
    done = 0
    last_touch = enrolled
    used: set[str] = set()
    read = False
    for _ in range(_MAX_ROUNDS):
        instants = {
            name: datetime.combine(day, time(0, 0), tzinfo=tz) for name, day in current.items()
        }
        if paid is not None:
            instants["paid"] = paid
        facts = ThreadFacts(
            last_touch=last_touch, dates=instants, used=frozenset(used), read_no_reply=read
        )
        passed, planned = plan(cadence, done, facts, now=last_touch)
        skipped += [(s.step.number, s.reason) for s in passed]
        done += len(passed)
        if planned is None:
            return Outcome(touches=tuple(touches), skipped=tuple(skipped), dates=current)
        step = planned.step
        if step.kind == "email":
            request = SlotRequest(
                earliest=planned.due,
                now=last_touch,
                zone=tz.key,
                country=country,
                slack=step.slack,
                seed=step.number,
                policy=policy or SlotPolicy(),
                buyer_touches=tuple(t.at for t in touches),
            )
            at = pick_slot(request).send_at_utc
        else:
            at = planned.due
        touches.append(
            Touch(
                number=step.number,
                kind=step.kind,
                template=planned.template,
                at=at,
                channel=step.channel,
                why=planned.why,
            )
        )
        used.add(planned.template)
        done += 1
        last_touch = at
        read = (buyer.reads and step.kind == "email") or (read and step.kind == "task")
        if buyer.replies_after is not None and len(touches) >= buyer.replies_after:
            return Outcome(
                touches=tuple(touches),
                skipped=tuple(skipped),
                ended=f"the buyer answered touch {len(touches)}",
                dates=current,
            )
        current.update((changes or {}).get(len(touches), {}))
    raise RuntimeError(f"cadence {cadence.name} did not end within {_MAX_ROUNDS} rounds")
