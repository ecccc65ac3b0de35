"""The moved-clock runs of `.ci/run`: the whole process's clock starts at another instant.

`CAREOPS_TEST_CLOCK=2026-12-31T23:30+08:00 pytest ...` starts a ticking time-machine travel
before any test is collected, so every `datetime.now()`, `date.today()`, `time.time()` and
`careops.clock.utcnow()` of the suite reads that instant (plus the time elapsed since). A test
that depends on the real date for a business fact then fails in one of these runs.

What cannot follow the moved clock is left out, each named by its marker:
- `real_clock`: OpenSSL checks certificates against the real clock (TLS tests), and a
  subprocess (a Prefect server, a stack, Chromium) does not see the moved clock.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

ENV = "CAREOPS_TEST_CLOCK"
_travel = None


def moved_instant() -> datetime | None:
    """The instant of this run's moved clock (None on the real clock)."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{ENV}={value!r} needs a UTC offset, e.g. 2026-12-31T23:30+08:00")
    return instant


def pytest_configure(config: pytest.Config) -> None:
    global _travel
    config.addinivalue_line(
        "markers",
        "real_clock(reason): needs the real clock (TLS certificates, a subprocess's clock); "
        f"left out of the moved-clock runs ({ENV})",
    )
    instant = moved_instant()
    if instant is None or _travel is not None:
        return
    import time_machine

    _travel = time_machine.travel(instant, tick=True)
    _travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None


def pytest_report_header(config: pytest.Config) -> str | None:
    instant = moved_instant()
    return f"moved clock: the run starts at {instant.isoformat()}" if instant else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if moved_instant() is None:
        return
    for item in items:
        marker = item.get_closest_marker("real_clock")
        if marker is not None:
            why = marker.args[0] if marker.args else marker.kwargs.get("reason", "real clock")
            item.add_marker(pytest.mark.skip(reason=f"moved clock ({ENV}): {why}"))
