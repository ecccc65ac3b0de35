"""Chaos: careops's PostgreSQL backend is terminated (`pg_terminate_backend`) while it writes.
The run fails cleanly (one line, exit 3) or carries on, its transaction is rolled back whole,
and a re-run completes: every callback and mail once."""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from careops.db.engine import get_engine, normalise_url
from careops.db.models.callbacks import Callback
from careops.db.models.common import Project
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.db.uow import UnitOfWork
from careops.demo import seed_demo
from careops.mail.delivery import RECORD_EVERY
from tests.chaos.conftest import (
    CAREOPS,
    outbox_rows,
    process_env,
    received_ids,
    run,
    start,
    wait_for,
)
from tests.integration.test_delivery import _enqueue
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.chaos

APP = "careops-chaos-victim"  # libpq's PGAPPNAME: how the test finds careops's backends
MONTH = "2026-12"


def _more_projects(uow: UnitOfWork, count: int) -> None:
    """Demo data plus `count` delivered projects, so planning writes for a while."""
    with uow:
        customer = uow.session.scalar(select(Project.customer_id).limit(1))
        start_day = date(2023, 12, 1)
        uow.session.execute(
            insert(Project),
            [
                {
                    "code": f"X{i:05d}",
                    "name": f"加测项目{i}",
                    "customer_id": customer,
                    "delivered_on": start_day + timedelta(days=i % 700),
                }
                for i in range(count)
            ],
        )
        uow.commit()


class Terminator:
    """Another connection that terminates the victim's backend once it is inside a
    transaction that has written (a transaction id assigned)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(make_url(normalise_url(url)), isolation_level="AUTOCOMMIT")
        self.killed: list[str] = []

    def strike(self) -> bool:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid, left(query, 120) FROM pg_stat_activity WHERE application_name = :a"
                    " AND datname = current_database() AND backend_xid IS NOT NULL"
                ),
                {"a": APP},
            ).all()
            for pid, query in rows:
                if conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid}):
                    self.killed.append(query)
        return bool(self.killed)


def _counts(uow: UnitOfWork) -> tuple[int, int, int]:
    """(callbacks of the month, of them on a call list, call-list mails)."""
    with uow:
        s = uow.session
        month = Callback.month == MONTH
        return (
            s.scalar(select(func.count()).where(month)),
            s.scalar(select(func.count()).where(month, Callback.notified_at.is_not(None))),
            s.scalar(select(func.count()).select_from(OutboxMessage)),
        )


def test_a_terminated_backend_mid_planning_rolls_back_and_a_rerun_completes(postgres_url, tmp_path):
    """Figures printed: when the backend was terminated and in which statement, what was left,
    what the re-run created."""
    uow = UnitOfWork(get_engine(postgres_url))
    seed_demo(uow, today=date(2026, 11, 1))
    _more_projects(uow, 3000)
    env = process_env(postgres_url, SmtpSink(), log_dir=str(tmp_path))  # SMTP down: mail waits
    env["PGAPPNAME"] = APP
    killer = Terminator(postgres_url)
    began = time.monotonic()
    victim = start([str(CAREOPS), "callbacks", "plan", "--month", MONTH], env, None)
    try:
        while victim.poll() is None and not killer.strike():
            time.sleep(0.005)
        struck = time.monotonic() - began
        out, _ = victim.communicate(timeout=60)
    finally:
        killer.engine.dispose()
    left = _counts(uow)
    print(
        f"\n[chaos pg_terminate_backend] plan-callbacks {MONTH}: backend terminated "
        f"{struck:.2f} s after start in {killer.killed!r}; exit {victim.returncode}; left "
        f"(callbacks, listed, mails) = {left}"
    )
    assert killer.killed, "the planning ended before a write could be interrupted"
    assert victim.returncode == 3, out  # a database fault: one line, exit 3
    assert len(out.strip().splitlines()) == 1 and "database" in out.lower()
    created, listed, mails = left
    assert listed == 0 and mails == 0 or (created, listed) == (0, 0)  # all or nothing

    rerun = run([str(CAREOPS), "callbacks", "plan", "--month", MONTH], env)
    again = run([str(CAREOPS), "callbacks", "plan", "--month", MONTH], env)
    total, listed, mails = _counts(uow)
    print(
        f"re-run: {rerun.stdout.strip().splitlines()[0]}; then {total} callbacks, "
        f"{listed} listed, {mails} call-list mails"
    )
    assert rerun.returncode in (0, 1) and again.returncode in (0, 1), rerun.stdout + rerun.stderr
    assert total > 1000 and listed == total
    with uow:
        assignees = uow.session.scalar(
            select(func.count(func.distinct(Callback.assignee_id))).where(Callback.month == MONTH)
        )
    assert mails == assignees  # one call list per assignee, nothing twice
    assert f"{MONTH}: 0 created" in again.stdout


def test_a_terminated_backend_mid_delivery_and_the_relay_carries_on(postgres_url, tmp_path):
    """The relay's backend is terminated while it claims or records a batch: the relay logs
    the fault once, reconnects and delivers everything; what it had sent but not recorded goes
    out once more after the lease, with the same Message-ID (see test_kill_delivery)."""
    engine = get_engine(postgres_url)
    _enqueue(engine, 300)
    sink = SmtpSink(delay=0.02).start()
    env = process_env(
        postgres_url, sink, smtp__lease_seconds="3", smtp__relay_interval_seconds="0.2"
    )
    env["PGAPPNAME"] = APP
    killer = Terminator(postgres_url)
    log = tmp_path / "relay.log"
    relay = start([sys.executable, "-m", "careops.mail.relay"], env, log)
    try:
        wait_for(lambda: len(sink.messages) >= 50, 300, "the first mail")
        began = time.monotonic()
        while not killer.strike() and time.monotonic() - began < 30:
            pass  # as fast as pg_stat_activity answers: the relay's writes take milliseconds
        at = len(sink.messages)
        recorded = {m for _k, m, s, _a in outbox_rows(engine) if s == OutboxStatus.SENT}
        took = wait_for(
            lambda: all(s == OutboxStatus.SENT for *_x, s, _a in outbox_rows(engine)),
            300,
            "every mail sent after the fault",
        )
        alive = relay.poll() is None
    finally:
        relay.terminate()
        relay.wait(timeout=120)  # generous: a loaded machine
        sink.stop()
        killer.engine.dispose()
    got = received_ids(sink)
    twice = {m for m, n in got.items() if n > 1}
    text_ = log.read_text()
    print(
        f"\n[chaos pg_terminate_backend] relay: backend terminated in {killer.killed!r} with "
        f"{at} of 300 received; all sent {took:.1f} s later; SMTP-level duplicates {len(twice)}"
    )
    assert killer.killed, "no write of the relay was interrupted"
    assert alive  # the relay outlives a database fault
    assert set(got) == {m for _k, m, _s, _a in outbox_rows(engine)} and max(got.values()) <= 2
    assert not twice & recorded and len(twice) <= 2 * RECORD_EVERY
    if any("sent_at" in query for query in killer.killed):  # recording what was sent
        assert not twice  # recorded again over a fresh connection, not sent again
    faults = text_.count("cannot read the outbox")  # a claim that failed: logged once
    assert faults <= 1 and (faults == 0 or "database reachable again" in text_)
