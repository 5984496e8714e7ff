"""Who decides whether a draft goes out: the rep (``manual``), nobody (``auto``), or the rep
by objecting within a window (``unless-objected:12h``).

A policy is set per cadence (``policy = "auto"`` in the cadence table) or per rep
(``approval_policy`` of the mailbox); the rep's setting wins, because it says how much that
person wants to look at, and the default is ``manual``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

__all__ = ["MANUAL", "Policy", "choose_policy", "parse_policy"]

PolicyKind = Literal["manual", "auto", "unless-objected"]
# The rep must have at least an hour to object, and a draft must not wait more than 3 days.
_MIN_WINDOW = timedelta(hours=1)
_MAX_WINDOW = timedelta(hours=72)
_OBJECTED = re.compile(r"^unless-objected:(\d{1,3})h$")


@dataclass(frozen=True, slots=True)
class Policy:
    kind: PolicyKind
    # For unless-objected: how long the rep has to answer before the draft may go out.
    window: timedelta | None = None

    def __str__(self) -> str:
        if self.window is None:
            return self.kind
        return f"{self.kind}:{int(self.window.total_seconds() // 3600)}h"


MANUAL = Policy("manual")


def parse_policy(text: str) -> Policy:
    """``manual``, ``auto`` or ``unless-objected:<hours>h``; ValueError saying what is valid."""
    value = text.strip().lower()
    if value in ("manual", "auto"):
        return Policy(value)  # type: ignore[arg-type]
    if match := _OBJECTED.match(value):
        window = timedelta(hours=int(match.group(1)))
        if _MIN_WINDOW <= window <= _MAX_WINDOW:
            return Policy("unless-objected", window)
        raise ValueError(
            f"{text!r}: the window of unless-objected must be 1h to 72h, e.g. unless-objected:12h"
        )
    raise ValueError(
        f"{text!r} is not a policy; expected manual, auto or unless-objected:<hours>h "
        "(e.g. unless-objected:12h)"
    )


def choose_policy(rep: str | None, cadence: str | None) -> Policy:
    """The rep's policy if set, else the cadence's, else manual (both already validated)."""
    for value in (rep, cadence):
        if value:
            return parse_policy(value)
    return MANUAL
