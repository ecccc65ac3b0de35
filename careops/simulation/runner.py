"""Run the scheduled processes and the people over [start, end) and check the invariants."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from careops.calendar import UnknownCalendarYear
from careops.clock import FrozenClock, local_time
from careops.simulation import invariants, people, report
from careops.simulation.core import Agenda, Sim
from careops.simulation.processes import STEPS, deliver
from careops.simulation.schedule import EXCLUDED, fire_times, scheduled
from careops.simulation.watch import holiday_watch
from careops.simulation.world import (
    SmtpSink,
    build_world,
    frozen,
    local_midnight,
    scratch_database,
    scratch_settings,
)

DEMO_CUSTOMERS = 200


def simulate(
    start: date,
    end: date,
    *,
    customers: int = DEMO_CUSTOMERS,
    seed: int = 1,
    database_url: str | None = None,
    root: Path | None = None,
) -> report.Outcome:
    """Simulate the days [start, end) on a scratch database and SMTP sink."""
    from careops.db.engine import get_engine
    from careops.db.migrate import upgrade
    from careops.settings import PROJECT_ROOT, get_settings

    root = root or PROJECT_ROOT
    began = time.perf_counter()
    with (
        scratch_database(database_url) as url,
        SmtpSink() as sink,
        scratch_settings(url, sink.port),
    ):
        upgrade(url)
        settings = get_settings()
        start_at, end_at = local_midnight(start, settings.tz), local_midnight(end, settings.tz)
        clock = FrozenClock(start_at)
        sim = Sim(
            clock,
            settings,
            get_engine(url),
            Agenda(),
            random.Random(seed),
            customers / DEMO_CUSTOMERS,
            seed,
        )
        window_days = [
            d for p in invariants.periods_in(sim, start_at, end_at) for d in p.window_dates()
        ]
        with frozen(clock):
            world = build_world(
                sim.uow(), today=start, seed=seed, customers=customers, window_days=window_days
            )
            _plan(sim, root, start, end)
            steps = _run(sim, end_at)
            state = report.end_state(sim)
            violations = invariants.check_all(sim, sink.received, start_at, end_at)
        seconds = time.perf_counter() - began
        anchor = _anchor(sim, steps)
        sim.engine.dispose()  # type: ignore[attr-defined]
    return report.Outcome(
        f"{start} → {end - timedelta(days=1)}",
        world,
        dict(sim.figures),
        state,
        violations,
        seconds,
        steps,
        anchor,
        sum(sink.received.values()),
        dict(EXCLUDED),
        sim.calendar_waits,
    )


def check_span(start: date, last: date) -> None:
    """A span the calendar knows, first day before last: else a CareopsError naming why."""
    from careops.bootstrap import get_calendar
    from careops.errors import CareopsError

    if last < start:
        raise CareopsError(f"--to {last} is before --from {start}")
    calendar = get_calendar()
    for year in range(start.year, last.year + 1):
        try:
            calendar.is_working_day(date(year, 6, 1))
        except Exception as exc:  # noqa: BLE001 - UnknownCalendarYear, said in one line
            raise CareopsError(f"cannot simulate {year}: {exc}") from None


def _plan(sim: Sim, root: Path, start: date, end: date) -> None:
    start_at, end_at = local_midnight(start, sim.tz), local_midnight(end, sim.tz)
    for deployment in scheduled(root):
        step = STEPS.get(deployment.name)
        if step is not None:
            for moment in fire_times(deployment, start_at, end_at):
                sim.agenda.at(moment, deployment.name, step)
    # The stack deploys at the start: holiday-watch's deployment run plans its wakeups (and
    # watches a window already open), as `careops stack up` does.
    sim.agenda.at(start_at, "holiday-watch", holiday_watch)
    day = start
    while day < end:
        for moment, name, step in people.day_plan(sim, day):
            sim.agenda.at(moment, name, step, unique=False)
        day += timedelta(days=1)


def _run(sim: Sim, end_at) -> int:
    steps = 0
    while (item := sim.agenda.pop_until(end_at)) is not None:
        when, name, step = item
        sim.clock.now = max(when, sim.clock.now)
        steps += 1
        try:
            sim.add(name, step(sim))
        except UnknownCalendarYear as exc:  # the run fails so until ops publish the year
            sim.calendar_waits.append(f"{name} at {local_time(sim.now, sim.tz)}: needs {exc.year}")
        except Exception as exc:  # noqa: BLE001 - a failed run is reported, the year goes on
            sim.failures.append(
                f"{name} at {local_time(sim.now, sim.tz)}: {type(exc).__name__}: {exc}"
            )
        if _pending(sim):  # every flow delivers its mail at its end (and the relay at once)
            sim.add("mail delivery", deliver(sim))
    return steps


PENDING = text("SELECT 1 FROM outbox_message WHERE status = 'pending' LIMIT 1")


def _pending(sim: Sim) -> bool:
    with sim.engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(PENDING).first() is not None


def _anchor(sim: Sim, steps: int) -> float:
    """As many plain one-query transactions on the same database as the run had steps."""
    began = time.perf_counter()
    for _ in range(steps):
        with sim.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(PENDING)
    return time.perf_counter() - began
