"""The simulation's agenda (a time-ordered heap of steps) and the figures the steps return."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.common import Department, Staff, StaffRole
from careops.db.uow import UnitOfWork
from careops.settings import Settings

Step = Callable[["Sim"], "dict | None"]


@dataclass
class Agenda:
    """Steps by time; `at` is idempotent per (name, minute), like careops.wakeups."""

    _heap: list = field(default_factory=list)
    _seen: set = field(default_factory=set)
    _order: itertools.count = field(default_factory=itertools.count)

    def at(self, when: datetime, name: str, step: Step, *, unique: bool = True) -> bool:
        """Put `step` on the agenda; a unique one (a run of a deployment) once per minute."""
        key = (name, when.replace(second=0, microsecond=0))
        if unique and key in self._seen:
            return False
        self._seen.add(key)
        heapq.heappush(self._heap, (when, next(self._order), name, step))
        return True

    def __len__(self) -> int:
        return len(self._heap)

    def pop_until(self, end: datetime) -> tuple[datetime, str, Step] | None:
        if not self._heap or self._heap[0][0] >= end:
            return None
        when, _, name, step = heapq.heappop(self._heap)
        return when, name, step


@dataclass
class Sim:
    """What every step gets: the clock, the scratch database, settings, agenda, randomness."""

    clock: FrozenClock
    settings: Settings
    engine: object
    agenda: Agenda
    rng: random.Random
    scale: float  # customers / the demo's 200: people's rates scale with it
    seed: int
    figures: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)
    calendar_waits: list[str] = field(default_factory=list)  # failed: a calendar unpublished
    state: dict = field(default_factory=dict)  # what people remember between steps

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    @property
    def now(self) -> datetime:
        return self.clock()

    @property
    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)  # type: ignore[arg-type]

    def staff_codes(self, department: Department, role: StaffRole | None = None) -> list[str]:
        """The codes of the department's active staff (with `role`, if given), in order."""
        query = select(Staff.code).where(Staff.department == department, Staff.active.is_(True))
        if role is not None:
            query = query.where(Staff.role == role)
        uow = self.uow()
        with uow:
            return list(uow.session.scalars(query.order_by(Staff.code)))

    def later(self, delta: timedelta, name: str, act: Step) -> None:
        """A person's follow-up step, `delta` from now (not unique: people repeat themselves)."""
        self.agenda.at(self.now + delta, name, act, unique=False)

    def add(self, process: str, result: dict | None) -> None:
        """Count a step's result under its process: numbers add, lists count, truths count."""
        figures = self.figures[process]
        figures["runs"] += 1
        for key, value in (result or {}).items():
            if isinstance(value, bool):
                figures[key] += int(value)
            elif isinstance(value, int):
                figures[key] += value
            elif isinstance(value, list | tuple | set | dict):
                figures[key] += len(value)
