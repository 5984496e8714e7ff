"""Thread states and the one table of allowed transitions between them.

The main line is ``active -> drafted -> approved -> sent -> active`` (or ``completed`` after
the last step). A thread on that line, or paused, can be moved aside at any time: the buyer
replied, the rep paused or stopped it, the address bounced, the deal was won or lost, or the
security guard flagged it.

Choices beyond the main line, each written into the table below:

- ``drafted -> active`` is a skipped draft; ``approved -> active`` a cancelled send.
- ``active -> completed`` happens when the remaining steps were all skipped.
- ``replied`` ends automation; only the rep moves it on: back to ``active`` (re-activation),
  ``paused`` ("pause until ..." after the buyer said "later"), ``stopped``, ``won``, ``lost``.
  A later mail may still be ``flagged`` by the guard, since fraud often arrives in a live thread.
- ``stopped`` can be re-activated by the rep, or closed as ``won`` / ``lost``.
- ``completed`` means the cadence ran out, not that the buyer is gone: a late reply still
  moves it to ``replied`` (it counts in the reply statistics), and the guard may flag it. The
  rep may start it again (``active``): ``paid`` after the payment cadence ran out starts the
  after-payment cadence.
- ``flagged`` is left only by the rep after checking: ``active``, ``stopped``, ``won``, ``lost``.
- ``bounced`` can only be closed as ``lost``; a new address means a new enrollment.
- ``won`` and ``lost`` are final. Staying in the same state is not a transition.
"""

from __future__ import annotations

from enum import StrEnum

from followupd.errors import StateError


class ThreadState(StrEnum):
    """Where a followed-up thread stands."""

    ACTIVE = "active"
    DRAFTED = "drafted"
    APPROVED = "approved"
    SENT = "sent"
    REPLIED = "replied"
    PAUSED = "paused"
    BOUNCED = "bounced"
    STOPPED = "stopped"
    WON = "won"
    LOST = "lost"
    COMPLETED = "completed"
    FLAGGED = "flagged"


_S = ThreadState

# Where a thread in the running part of its life may be moved aside to.
_ASIDE = frozenset({_S.REPLIED, _S.PAUSED, _S.BOUNCED, _S.STOPPED, _S.WON, _S.LOST, _S.FLAGGED})

TRANSITIONS: dict[ThreadState, frozenset[ThreadState]] = {
    _S.ACTIVE: frozenset({_S.DRAFTED, _S.COMPLETED}) | _ASIDE,
    _S.DRAFTED: frozenset({_S.APPROVED, _S.ACTIVE}) | _ASIDE,
    _S.APPROVED: frozenset({_S.SENT, _S.ACTIVE}) | _ASIDE,
    _S.SENT: frozenset({_S.ACTIVE, _S.COMPLETED}) | _ASIDE,
    _S.PAUSED: frozenset({_S.ACTIVE}) | (_ASIDE - {_S.PAUSED}),
    _S.REPLIED: frozenset({_S.ACTIVE, _S.PAUSED, _S.STOPPED, _S.WON, _S.LOST, _S.FLAGGED}),
    _S.STOPPED: frozenset({_S.ACTIVE, _S.WON, _S.LOST}),
    _S.COMPLETED: frozenset({_S.ACTIVE, _S.REPLIED, _S.WON, _S.LOST, _S.FLAGGED}),
    _S.FLAGGED: frozenset({_S.ACTIVE, _S.STOPPED, _S.WON, _S.LOST}),
    _S.BOUNCED: frozenset({_S.LOST}),
    _S.WON: frozenset(),
    _S.LOST: frozenset(),
}

# States in which the cadence runs by itself: only these may get drafts, approvals and sends.
AUTOMATED_STATES = frozenset({_S.ACTIVE, _S.DRAFTED, _S.APPROVED, _S.SENT})
FINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)


def allowed_targets(src: ThreadState) -> frozenset[ThreadState]:
    """The states a thread in ``src`` may move to."""
    return TRANSITIONS[src]


def can_transition(src: ThreadState, dst: ThreadState) -> bool:
    """Whether the table allows ``src -> dst``."""
    return dst in TRANSITIONS[src]


def check_transition(src: ThreadState, dst: ThreadState) -> None:
    """Raise StateError unless the table allows ``src -> dst``."""
    if dst not in TRANSITIONS[src]:
        allowed = ", ".join(sorted(TRANSITIONS[src])) or "nothing: it is final"
        raise StateError(
            f"thread cannot go from {src} to {dst} (from {src} it can go to {allowed})"
        )


def is_automated(state: ThreadState) -> bool:
    """Whether followupd may still draft or send on a thread in ``state`` by itself."""
    return state in AUTOMATED_STATES
