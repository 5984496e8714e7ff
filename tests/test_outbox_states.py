"""The outbox's state table and what a look in Sent proves (pure functions)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from followupd.errors import StateError
from followupd.sequence.outbox import (
    ACTIVE,
    AFTER_RESTART,
    STATES,
    check_move,
    retry_delay,
    settle_in_doubt,
    throttle_hold,
)


def test_the_main_line_is_allowed() -> None:
    line = ["planned", "claimed", "transmitting", "committing", "accepted", "recorded"]
    for current, new in itertools.pairwise(line):
        check_move(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("planned", "transmitting"),  # never without the claim and the look for a reply
        ("claimed", "committing"),
        ("accepted", "planned"),  # accepted mail is never sent again
        ("accepted", "failed"),
        ("recorded", "planned"),
        ("failed", "planned"),
        ("committing", "recorded"),
    ],
)
def test_moves_that_could_send_twice_or_skip_a_check_are_refused(current: str, new: str) -> None:
    with pytest.raises(StateError):
        check_move(current, new)


def test_a_restart_resends_only_what_cannot_have_been_accepted() -> None:
    assert set(AFTER_RESTART) == set(ACTIVE)
    assert {s for s, a in AFTER_RESTART.items() if a == "send"} == {
        "planned",
        "claimed",
        "transmitting",
    }
    assert AFTER_RESTART["committing"] == "look"
    assert AFTER_RESTART["accepted"] == "record"
    assert set(STATES) - set(ACTIVE) == {"recorded", "failed"}


@pytest.mark.parametrize(
    ("found", "searched", "saves", "verdict"),
    [
        (True, True, True, "sent"),
        (True, True, False, "sent"),
        (False, True, True, "absent"),
        (False, True, False, "unknown"),  # nobody files it: "not there" proves nothing
        (False, False, True, "unknown"),  # no Sent folder could be read
        (False, False, False, "unknown"),
    ],
)
def test_what_a_look_in_sent_proves(found: bool, searched: bool, saves: bool, verdict: str) -> None:
    assert settle_in_doubt(found=found, searched=searched, provider_saves=saves) == verdict


def test_pauses_grow_and_stop_growing() -> None:
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[0] == timedelta(minutes=5) and delays[1] == timedelta(minutes=10)
    assert delays == sorted(delays) and max(delays) == timedelta(hours=6)
    holds = [throttle_hold(n) for n in range(1, 12)]
    assert holds[0] == timedelta(minutes=15) and max(holds) == timedelta(hours=12)
    assert retry_delay(10_000) == timedelta(hours=6)
