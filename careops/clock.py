"""The one place careops asks what time it is, so tests can inject a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today(tz: ZoneInfo, clock: Clock = utcnow) -> date:
    return clock().astimezone(tz).date()


def local_time(moment: datetime, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """A stored moment the way a person reads it: local time to the minute, `2026-02-10 11:00`
    (as in the mails; never UTC)."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


class FrozenClock:
    """A clock for tests and back-dated runs: returns `now` until moved."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)
