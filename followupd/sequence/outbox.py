"""The states of a follow-up on its way to the buyer, and what each proves after a crash.

Each state is committed (and so on disk) before the step it names begins:

- ``planned``: the exact bytes and the Message-ID are fixed; nothing was said to any server.
- ``claimed``: one running daemon took it; the last look for a buyer's reply comes next.
- ``transmitting``: no reply was found and the SMTP transaction begins (MAIL FROM).
- ``committing``: the whole message went over DATA except the final ".": the server takes
  responsibility for a message only when it reads that line, so before this state it cannot
  have accepted anything.
- ``accepted``: the server answered 2xx to the final ".".
- ``recorded``: filed in Sent where the provider does not do it, the step marked sent and the
  next one planned.
- ``failed``: it will not be sent; ``reason`` says why (a reply came first, 5xx, in doubt).

Only ``committing`` is ever in doubt: the "." may have left with its answer lost. Such a send
is looked for in the rep's Sent folder; "not there" proves it absent only where the provider
files every accepted mail there itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from followupd.errors import StateError

__all__ = [
    "ACTIVE",
    "AFTER_RESTART",
    "STATES",
    "Action",
    "Settled",
    "check_move",
    "retry_delay",
    "settle_in_doubt",
    "throttle_hold",
]

STATES = (
    "planned",
    "claimed",
    "transmitting",
    "committing",
    "accepted",
    "recorded",
    "failed",
)
# The states of a send that is not over.
ACTIVE = ("planned", "claimed", "transmitting", "committing", "accepted")

_MOVES: dict[str, frozenset[str]] = {
    "planned": frozenset({"planned", "claimed", "failed"}),
    # Back to planned: the look for a reply could not be made, or the server said "later"
    # before the message was complete.
    "claimed": frozenset({"planned", "transmitting", "failed"}),
    "transmitting": frozenset({"planned", "committing", "failed"}),
    "committing": frozenset({"planned", "accepted", "failed"}),
    "accepted": frozenset({"recorded"}),
    "recorded": frozenset(),
    "failed": frozenset(),
}

Action = Literal["send", "look", "record"]
# What a restart does with a send it finds in each state.
AFTER_RESTART: dict[str, Action] = {
    "planned": "send",
    "claimed": "send",
    # The final "." never left: nothing can have been accepted.
    "transmitting": "send",
    "committing": "look",
    "accepted": "record",
}

Settled = Literal["sent", "absent", "unknown"]


def check_move(current: str, new: str) -> None:
    """Raise StateError unless ``current`` → ``new`` is a move of the table above."""
    if new not in _MOVES.get(current, frozenset()):
        raise StateError(f"outbox: {current} -> {new} is not allowed")


def settle_in_doubt(*, found: bool, searched: bool, provider_saves: bool) -> Settled:
    """What a look in Sent proves about a send left in ``committing``.

    Found: it went out. Not found proves absence only after a real search in a Sent folder
    where the provider files everything its SMTP server accepts.
    """
    if found:
        return "sent"
    if searched and provider_saves:
        return "absent"
    return "unknown"


# After a 4xx reply: 5 minutes, then twice as long each time, at most 6 hours. Each retry
# still waits for an allowed slot; the step fails once its slack is used up.
_RETRY_FIRST = timedelta(minutes=5)
_RETRY_MAX = timedelta(hours=6)
# After a throttling reply the whole mailbox waits: 15 minutes, doubling, at most 12 hours.
_HOLD_FIRST = timedelta(minutes=15)
_HOLD_MAX = timedelta(hours=12)


def retry_delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th temporary failure in a row (1-based)."""
    return min(_RETRY_FIRST * (1 << min(max(failures - 1, 0), 16)), _RETRY_MAX)


def throttle_hold(strikes: int) -> timedelta:
    """How long a mailbox stays quiet after its ``strikes``-th throttling reply in a row."""
    return min(_HOLD_FIRST * (1 << min(max(strikes - 1, 0), 16)), _HOLD_MAX)
