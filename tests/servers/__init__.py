"""Real servers that tests run on loopback: Dovecot (IMAP) and PostgreSQL helpers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


def run_sync(coro: Coroutine[Any, Any, _T], timeout: float = 30.0) -> _T:
    """Run a coroutine to completion on a private event loop in another thread.

    Sync fixtures and helpers use this so that they neither need nor disturb
    the event loop pytest-asyncio gives to the test itself.
    """
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="test-helper-loop", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"coroutine did not finish within {timeout} s")
    if error:
        raise error[0]
    return result[0]
