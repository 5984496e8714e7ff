"""Named points on the send path where crash tests stop the daemon.

A test sets ``FOLLOWUPD_FAULT_DIR`` and creates ``<point>.armed`` there; the daemon reaching
that point writes ``<point>.reached`` and freezes (the event loop included, so nothing else
happens) until the test kills it with SIGKILL. Without the variable, as in every real
installation, :func:`reached` returns at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

__all__ = ["ENV", "POINTS", "reached"]

ENV = "FOLLOWUPD_FAULT_DIR"
POINTS = (
    "planned",
    "claimed",
    "transmitting",
    "committing",
    "smtp-accepted",
    "in-doubt",
    "accepted",
    "appended",
    "recorded",
)
# A frozen daemon nobody kills ends itself: a test that lost track of it must not hang.
_FROZEN_AT_MOST = 120.0


def reached(point: str) -> None:
    """Freeze here if a test armed ``point``; otherwise do nothing."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    armed = Path(folder) / f"{point}.armed"
    try:
        armed.unlink()
    except FileNotFoundError:
        return
    (Path(folder) / f"{point}.reached").write_text(str(os.getpid()))
    deadline = time.monotonic() + _FROZEN_AT_MOST
    while time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.kill(os.getpid(), signal.SIGKILL)
