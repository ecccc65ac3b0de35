"""Waiting in tests: on a condition, never a fixed sleep, with a generous bound that names what
was awaited. CI runs on a shared, loaded 2-core machine: the bounds are minutes, not seconds,
and a test that waits for a condition costs only the time the condition takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

GENEROUS = 240.0  # seconds: a real stack's run on a loaded machine takes well under this


def wait_until(
    condition: Callable[[], T],
    what: str,
    timeout: float = GENEROUS,
    interval: float = 0.5,
    detail: Callable[[], str] | None = None,
) -> T:
    """Poll `condition` until it returns something truthy, and return that.

    Raises AssertionError "timed out after N s waiting for <what>" (plus `detail()`, e.g. a log)
    when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)
