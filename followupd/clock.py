"""The only place that reads the wall clock.

Everything else asks an injected :class:`Clock`. :class:`SystemClock` is real time;
:class:`SimulatedClock` lets the demo and the tests run months of cadence in seconds: its time
flows at ``speed`` times real time and can be jumped forward, and :meth:`Clock.wall_time_for`
tells the scheduler at which real instant a simulated instant will come.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def wall_time_for(self, instant: datetime) -> datetime:
        """The real (system) UTC instant at which ``instant`` will be this clock's ``now()``."""
        ...

    def on_jump(self, callback: Callable[[], None]) -> None:
        """Register ``callback`` to run after the clock jumps (never for a system clock)."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_time_for(self, instant: datetime) -> datetime:
        return instant

    def on_jump(self, callback: Callable[[], None]) -> None:
        # Real time never jumps.
        return None


class SimulatedClock:
    """Simulated time: starts at ``start`` and runs ``speed`` times faster than real time.

    ``jump_to`` moves it forward at once; whoever armed timers from ``wall_time_for`` is told
    through ``on_jump`` so it can re-arm them.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._lock = threading.Lock()
        self._base_sim = start.astimezone(UTC)
        self._base_real = time.monotonic()
        self._speed = speed
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._base_real
            return self._base_sim + timedelta(seconds=elapsed * self._speed)

    def wall_time_for(self, instant: datetime) -> datetime:
        ahead = (instant - self.now()).total_seconds() / self._speed
        return datetime.now(UTC) + timedelta(seconds=max(0.0, ahead))

    def jump_to(self, instant: datetime) -> None:
        """Move simulated time forward to ``instant`` (never backward)."""
        with self._lock:
            current = self._base_sim + timedelta(
                seconds=(time.monotonic() - self._base_real) * self._speed
            )
            self._base_sim = max(current, instant.astimezone(UTC))
            self._base_real = time.monotonic()
        for callback in list(self._listeners):
            callback()

    def advance(self, delta: timedelta) -> None:
        """Move simulated time forward by ``delta``."""
        self.jump_to(self.now() + delta)

    def on_jump(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)
