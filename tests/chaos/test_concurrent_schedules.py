"""Chaos: two runs of every scheduled flow at the same moment, on PostgreSQL.

For each scheduled deployment of prefect.yaml (tests/chaos/scheduled.py: its world and the
moment its schedule fires), the flow runs once on a fresh world (the baseline), then twice at
once (two threads through the session's Prefect test harness) on the same fresh world. The two
concurrent runs must leave exactly what one run leaves: the same number of rows in every table,
the same outbox mail per category and status, and every mail received once."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
import time
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import Engine, event, func, select

import careops.clock
import careops.wakeups
from careops.clock import FrozenClock, utcnow
from careops.db.base import Base
from careops.db.engine import get_engine
from careops.db.models.outbox import OutboxMessage
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from tests.chaos.conftest import received_ids
from tests.chaos.scheduled import SCENARIOS, Scenario, scheduled_deployments
from tests.conftest import PG_ADMIN_URL, _empty_tables, _point_settings

pytestmark = pytest.mark.chaos


@pytest.fixture
def pg_settings(postgres_url, smtp, monkeypatch, tmp_path):
    yield from _point_settings(postgres_url, smtp, monkeypatch, tmp_path)


def freeze(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> None:
    """Every careops, flows and tasks module reads `clock`: `utcnow` and `local_today`
    imported by name (`from careops.clock import utcnow`) are replaced where they were bound."""
    import flows

    for info in pkgutil.iter_modules(flows.__path__):  # every flow and, with them, its tasks
        importlib.import_module(f"flows.{info.name}")
    real_now, real_today = careops.clock.utcnow, careops.clock.local_today

    def local_today(tz, clock=clock):  # careops.clock.local_today's signature
        return clock().astimezone(tz).date()

    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("careops", "flows", "tasks")):
            continue
        for attr, value in list(vars(module).items()):
            if value is real_now:
                monkeypatch.setattr(module, attr, clock)
            elif value is real_today:
                monkeypatch.setattr(module, attr, local_today)


def snapshot(engine: Engine) -> dict[str, object]:
    """Rows per table, and outbox mail per (category, status)."""
    with engine.connect() as conn:
        rows = {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
        t = OutboxMessage.__table__
        mail = Counter(
            {
                (c, s): n
                for c, s, n in conn.execute(
                    select(t.c.category, t.c.status, func.count()).group_by(
                        t.c.category, t.c.status
                    )
                )
            }
        )
    return {"rows": rows, "mail": mail}


def _fresh_world(scenario: Scenario, engine: Engine, clock: FrozenClock, smtp) -> None:
    _empty_tables(engine)
    clock.now = scenario.moment
    scenario.setup(UnitOfWork(engine), clock)
    clock.now = scenario.moment
    if scenario.deliver_setup:
        _deliver(engine, clock)
    smtp.clear()


def _deliver(engine: Engine, clock: FrozenClock) -> None:
    """Deliver everything queued (outbox rows carry the frozen clock, real time may be earlier)."""
    from careops.settings import get_settings

    deliver_pending(engine, get_settings().smtp, now=lambda: max(utcnow(), clock()))


class StartLine:
    """Holds the first database transaction of the first run until the second run opens its
    own, so their work overlaps from there on. The second run is started only once the first
    is waiting here: the Prefect test server (SQLite) answers two flow-run creations at once
    with 503 and the client retries after 2 s, 4 s ... — longer than most runs take. Gives up
    after 15 s (a run that never writes); `met` says whether they overlapped."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.barrier, self.arrived = engine, threading.Barrier(2), set()
        self.met: bool | None = None

    def __enter__(self) -> StartLine:
        event.listen(self.engine, "begin", self._begin)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "begin", self._begin)

    def _begin(self, _connection) -> None:
        me = threading.get_ident()
        if self.met is not None or me in self.arrived:
            return
        self.arrived.add(me)
        try:
            self.barrier.wait(timeout=300)
            self.met = True
        except threading.BrokenBarrierError:
            self.met = False

    def together(self, run) -> list:
        """Two runs of `run`, the second started once the first waits at the line."""
        outcomes: list = []

        def one() -> None:
            try:
                outcomes.append(run())
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                outcomes.append(exc)

        first, second = threading.Thread(target=one), threading.Thread(target=one)
        first.start()
        deadline = time.monotonic() + 60
        while not self.arrived and first.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        second.start()
        for thread in (first, second):
            thread.join(timeout=300)
        return outcomes


def _state(outcome) -> str:
    if isinstance(outcome, BaseException):
        return f"raised {type(outcome).__name__}: {outcome}"
    return f"{outcome.type.value} ({outcome.name})"


@pytest.fixture
def wakeups(monkeypatch) -> Counter:
    """The exact-time runs asked for (the harness has no deployments): idempotent per
    deployment and minute, as the Prefect server makes them."""
    asked: Counter = Counter()

    def schedule(deployment: str, at: datetime, now: datetime, *, reason: str, api=None) -> str:
        key = careops.wakeups.wakeup_key(deployment, careops.wakeups.wakeup_minute(at, now))
        asked[key] += 1
        return key

    monkeypatch.setattr(careops.wakeups, "schedule_wakeup", schedule)
    return asked


@pytest.mark.skipif(not PG_ADMIN_URL, reason="CAREOPS_TEST_DATABASE_URL is not set")
@pytest.mark.usefixtures("prefect")
@pytest.mark.parametrize("deployment", scheduled_deployments())
def test_two_runs_at_once_leave_what_one_run_leaves(
    deployment, pg_settings, smtp, wakeups, monkeypatch
):
    scenario = SCENARIOS.get(deployment)
    if scenario is None:
        pytest.fail(
            f"scheduled deployment {deployment!r} (prefect.yaml) has no chaos scenario: "
            "add one to tests/chaos/scheduled.py"
        )
    engine = get_engine(pg_settings.database_url)
    clock = FrozenClock(scenario.moment)
    freeze(monkeypatch, clock)

    _fresh_world(scenario, engine, clock, smtp)
    before = snapshot(engine)
    began = time.monotonic()
    once = scenario.run()
    once_took = time.monotonic() - began
    _deliver(engine, clock)
    baseline, baseline_mail = snapshot(engine), received_ids(smtp)

    _fresh_world(scenario, engine, clock, smtp)
    began = time.monotonic()
    with StartLine(engine) as line:
        pair = line.together(scenario.run)
    pair_took = time.monotonic() - began
    _deliver(engine, clock)
    after, mail = snapshot(engine), received_ids(smtp)

    created = {
        k: v - before["rows"][k] for k, v in baseline["rows"].items() if v != before["rows"][k]
    }
    print(
        f"\n[chaos 2 runs at once] {deployment} at {scenario.moment:%Y-%m-%d %H:%M}: one run "
        f"{_state(once)} {once_took:.1f} s; two at once {[_state(s) for s in pair]} "
        f"{pair_took:.1f} s, overlapping from their first transaction: {line.met}; "
        f"rows changed {created}; mails {sum(baseline_mail.values())}"
    )
    assert not once.is_failed(), _state(once)
    assert all(not isinstance(s, BaseException) and not s.is_failed() for s in pair), pair
    assert created or baseline_mail, "the scenario's run did nothing: it proves nothing"
    assert line.met, "the two runs did not overlap"
    assert after == baseline  # every record and every outbox mail once
    assert sum(mail.values()) == sum(baseline_mail.values()) and set(mail.values()) <= {1}


def test_every_scenario_is_a_scheduled_deployment():
    stale = set(SCENARIOS) - set(scheduled_deployments())
    assert not stale, f"scenarios in tests/chaos/scheduled.py for no scheduled deployment: {stale}"
