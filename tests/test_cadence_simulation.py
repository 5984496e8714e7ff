"""Every shipped cadence, played out for buyers who never answer, read only, or answer.

The sequences come from the same planner and slot picker the daemon uses
(:mod:`followupd.sequence.simulate`). The rules hold for every cadence and every buyer; a few
sequences are spelled out exactly, in buyer time.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from followupd.sequence.cadence import load_cadences
from followupd.sequence.simulate import Buyer, Outcome, simulate
from followupd.templating.library import default_template_dirs, load_library

CADENCES = load_cadences()
LIBRARY = load_library(default_template_dirs())
CHICAGO = ZoneInfo("America/Chicago")
# Monday 23 Nov 2026, 09:30 in Ningbo: the rep sends the PI.
ENROLLED = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
VALIDITY = date(2026, 12, 15)
BUYERS = {
    "silent": Buyer(),
    "reads": Buyer(reads=True),
    "answers-2": Buyer(replies_after=2),
}


def _run(name: str, buyer: Buyer, **kw: object) -> Outcome:
    return simulate(
        CADENCES[name],
        enrolled=ENROLLED,
        tz=CHICAGO,
        country="US",
        buyer=buyer,
        dates={"validity": VALIDITY},
        **kw,  # type: ignore[arg-type]
    )


def _local(outcome: Outcome) -> list[tuple[str, str]]:
    return [(t.template, t.at.astimezone(CHICAGO).strftime("%a %m-%d")) for t in outcome.touches]


@pytest.mark.parametrize("buyer", BUYERS)
@pytest.mark.parametrize("name", sorted(CADENCES))
def test_rules_hold_for_every_cadence_and_buyer(name: str, buyer: str) -> None:
    cadence = CADENCES[name]
    outcome = _run(name, BUYERS[buyer])
    emails = [t for t in outcome.touches if t.kind == "email"]
    assert outcome.touches, "a cadence must do something"
    # At most one touch per buyer per day, and never the same mail twice.
    days = [t.at.astimezone(CHICAGO).date() for t in emails]
    assert len(days) == len(set(days))
    templates = [t.template for t in outcome.touches]
    assert len(templates) == len(set(templates))
    assert len(emails) <= cadence.max_emails
    # Sent mail goes out near a full hour, on a buyer workday, in working hours.
    for touch in emails:
        local = touch.at.astimezone(CHICAGO)
        assert local.weekday() < 5 and time(10) <= local.time() < time(17), touch
        assert local.minute >= 55 or 1 <= local.minute <= 5, touch
    # Every template exists, of the step's kind.
    for touch in outcome.touches:
        assert LIBRARY.get(touch.template).meta.kind == touch.kind
    # Time only moves forward, at least a day between two emails.
    for earlier, later in itertools.pairwise(emails):
        assert later.at - earlier.at >= timedelta(days=1)
    if BUYERS[buyer].replies_after is not None:
        assert len(outcome.touches) == BUYERS[buyer].replies_after
        assert outcome.ended.startswith("the buyer answered")


def test_pi_for_a_buyer_who_never_answers() -> None:
    outcome = _run("pi", Buyer())
    assert _local(outcome) == [
        ("pi-check-in", "Fri 11-27"),
        ("pi-value-add", "Fri 12-04"),
        ("call-task", "Wed 12-16"),
        ("market-update", "Fri 01-15"),
        # 30 days after the last touch is a Monday / Tuesday; within the 5 days of slack
        # Thursday is preferred.
        ("new-products", "Thu 02-18"),
        ("quiet-check", "Thu 03-25"),
    ]
    assert [t.kind for t in outcome.touches].count("task") == 1


def test_halving_gaps_halve() -> None:
    outcome = _run("halving", Buyer())
    sends = [t.at for t in outcome.touches]
    gaps = [(b - a).days for a, b in zip([ENROLLED, *sends], sends, strict=False)]
    # 12, 6, 3, 2 days, each stretched to the next good slot by at most the step's slack.
    assert [g for g in gaps] == pytest.approx([12, 6, 3, 2], abs=3)
    assert len(outcome.touches) == 4  # with the PI itself: five touches in all


def test_pi_for_a_buyer_who_reads_but_does_not_answer() -> None:
    # The second touch helps a buyer who is weighing offers instead of repeating the value mail.
    outcome = _run("pi", Buyer(reads=True))
    assert [t.template for t in outcome.touches][:2] == ["pi-check-in", "comparison-table"]


def test_quote_follows_its_validity_date_and_moves_with_it() -> None:
    fixed = _run("quote", Buyer())
    assert _local(fixed)[2] == ("validity-reminder", "Mon 12-14")  # two days before the 15th
    # After it ended and after the weekend's call task: a working day within the slack.
    assert ("validity-expired", "Tue 12-22") in _local(fixed)
    # The rep corrects the validity after the first touch: the reminder moves with it.
    moved = _run("quote", Buyer(), changes={1: {"validity": date(2026, 12, 31)}})
    assert _local(moved)[2] == ("validity-reminder", "Tue 12-29")
    expired = next(t for t in moved.touches if t.template == "validity-expired")
    assert expired.at.astimezone(CHICAGO).date() > date(2026, 12, 31)


def test_quote_without_a_validity_date_falls_back_and_skips_the_expiry_note() -> None:
    outcome = simulate(CADENCES["quote"], enrolled=ENROLLED, tz=CHICAGO, country="US")
    assert "validity-expired" not in [t.template for t in outcome.touches]
    assert outcome.skipped == ((5, "the thread has no validity date"),)
    reminder = next(t for t in outcome.touches if t.template == "validity-reminder")
    assert "after the last touch" in reminder.why


def test_payment_never_touches_more_than_once_a_week() -> None:
    outcome = _run("payment", Buyer())
    times = [t.at for t in outcome.touches]
    assert all(b - a >= timedelta(days=7) for a, b in itertools.pairwise(times))


def test_after_payment_confirms_the_receipt_within_hours() -> None:
    outcome = _run("after-payment", Buyer())
    first = outcome.touches[0]
    assert first.template == "payment-received"
    # Paid on a Sunday evening in Chicago: the first good slot of the buyer's Monday.
    assert first.at - ENROLLED < timedelta(days=1)
    assert first.at.astimezone(CHICAGO).strftime("%a") == "Mon"
    # The thank-you is due three days later, on Thanksgiving: it waits for the next working day.
    thanks = outcome.touches[1]
    assert thanks.template == "thank-you-feedback"
    assert thanks.at.astimezone(CHICAGO).date() == date(2026, 11, 27)


def test_after_payment_brings_production_and_shipping_news() -> None:
    shipped = simulate(
        CADENCES["after-payment"],
        enrolled=ENROLLED,
        tz=CHICAGO,
        country="US",
        buyer=Buyer(),
        dates={"shipment": date(2026, 12, 28)},
    )
    assert [t.template for t in shipped.touches] == [
        "payment-received",
        "thank-you-feedback",
        "production-update",
        "order-shipped",
    ]
    # The shipping news goes the day after the goods left; without a shipment date it
    # still comes, three weeks after the production news.
    assert shipped.touches[-1].at.astimezone(CHICAGO).date() == date(2026, 12, 29)
    unknown = _run("after-payment", Buyer())
    assert unknown.touches[-1].at - unknown.touches[-2].at >= timedelta(days=21)


def test_expo_lead_nurtures_for_four_months() -> None:
    outcome = _run("expo-lead", Buyer())
    assert outcome.touches[0].template == "expo-recap"
    span = outcome.touches[-1].at - outcome.touches[0].at
    assert timedelta(days=90) <= span <= timedelta(days=150)
