"""The thread state machine: one table, checked against the spec's life of a thread."""

from __future__ import annotations

from itertools import pairwise

import pytest

from followupd.errors import StateError
from followupd.sequence.states import (
    AUTOMATED_STATES,
    FINAL_STATES,
    TRANSITIONS,
    ThreadState,
    allowed_targets,
    can_transition,
    check_transition,
    is_automated,
)

S = ThreadState
SIDE = {S.REPLIED, S.PAUSED, S.BOUNCED, S.STOPPED, S.WON, S.LOST, S.FLAGGED}


def test_the_table_covers_every_state_and_never_loops_on_itself() -> None:
    assert set(TRANSITIONS) == set(ThreadState)
    for src, targets in TRANSITIONS.items():
        assert src not in targets
        assert targets <= set(ThreadState)
        assert allowed_targets(src) == targets


def test_states_are_their_names() -> None:
    assert [str(s) for s in ThreadState] == [
        "active", "drafted", "approved", "sent", "replied", "paused",
        "bounced", "stopped", "won", "lost", "completed", "flagged",
    ]  # fmt: skip
    assert ThreadState("sent") is S.SENT


@pytest.mark.parametrize(
    "path",
    [
        [S.ACTIVE, S.DRAFTED, S.APPROVED, S.SENT, S.ACTIVE],
        [S.ACTIVE, S.DRAFTED, S.APPROVED, S.SENT, S.COMPLETED],
        [S.ACTIVE, S.DRAFTED, S.ACTIVE],  # draft skipped
        [S.ACTIVE, S.DRAFTED, S.APPROVED, S.ACTIVE],  # send cancelled
        [S.SENT, S.PAUSED, S.ACTIVE],  # out of office, then back
        [S.SENT, S.REPLIED, S.ACTIVE],  # rep re-activates after a reply
        [S.APPROVED, S.REPLIED, S.PAUSED, S.ACTIVE],  # "later" -> pause until a date
        [S.DRAFTED, S.STOPPED, S.ACTIVE],  # rep re-activates a stopped thread
        [S.COMPLETED, S.REPLIED, S.WON],  # a late reply still counts
        [S.SENT, S.FLAGGED, S.ACTIVE],  # the rep cleared a security flag
        [S.SENT, S.BOUNCED, S.LOST],
    ],
)
def test_the_life_of_a_thread(path: list[ThreadState]) -> None:
    for src, dst in pairwise(path):
        check_transition(src, dst)


def test_every_running_or_paused_thread_can_be_moved_aside() -> None:
    for src in AUTOMATED_STATES | {S.PAUSED}:
        assert SIDE - {src} <= TRANSITIONS[src]


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.ACTIVE, S.SENT),  # nothing goes out without a draft and an approval
        (S.ACTIVE, S.APPROVED),
        (S.DRAFTED, S.SENT),
        (S.SENT, S.DRAFTED),
        (S.REPLIED, S.DRAFTED),  # a human reply stops automatic sending
        (S.REPLIED, S.SENT),
        (S.PAUSED, S.SENT),
        (S.FLAGGED, S.SENT),
        (S.BOUNCED, S.ACTIVE),
        (S.COMPLETED, S.SENT),  # a finished cadence restarts only through active
        (S.WON, S.ACTIVE),
        (S.LOST, S.REPLIED),
    ],
)
def test_forbidden_transitions_raise(src: ThreadState, dst: ThreadState) -> None:
    assert not can_transition(src, dst)
    with pytest.raises(StateError, match=f"^thread cannot go from {src} to {dst} "):
        check_transition(src, dst)


def test_final_and_automated_states() -> None:
    assert {S.WON, S.LOST} == FINAL_STATES
    with pytest.raises(StateError, match="it is final"):
        check_transition(S.WON, S.LOST)
    assert is_automated(S.APPROVED) and not is_automated(S.REPLIED)
    # Only automated states lead to a send, and only through an approval.
    senders = {src for src, targets in TRANSITIONS.items() if S.SENT in targets}
    assert senders == {S.APPROVED}


def test_every_state_is_reachable_from_active() -> None:
    seen, todo = {S.ACTIVE}, [S.ACTIVE]
    while todo:
        for nxt in TRANSITIONS[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(ThreadState)
