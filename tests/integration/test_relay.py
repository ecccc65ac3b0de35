"""The outbox relay: delivers due mail, survives SMTP and database faults, reports changes once."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import Engine, create_engine

from careops.mail.relay import RelayState, relay_once, run_relay
from tests.integration.test_delivery import _enqueue, _settings, _statuses
from tests.support.smtp import SmtpSink, free_port


def test_relay_delivers_what_is_due(engine: Engine, smtp: SmtpSink) -> None:
    _enqueue(engine, 3)
    report = relay_once(engine, _settings(smtp.host, smtp.port), RelayState())
    assert report is not None and report.sent == 3
    assert len(smtp.messages) == 3
    assert _statuses(engine) == {"sent": 3}


def test_smtp_outage_is_logged_once_and_recovery_too(
    engine: Engine, smtp: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careops.relay")
    down = _settings("127.0.0.1", free_port(), backoff_seconds=0, max_attempts=10)
    state = RelayState()
    _enqueue(engine, 2)
    for _ in range(3):
        relay_once(engine, down, state)
    assert state.unreachable
    assert sum("SMTP unreachable" in r.message for r in caplog.records) == 1
    assert smtp.messages == []
    relay_once(engine, _settings(smtp.host, smtp.port, backoff_seconds=0, max_attempts=10), state)
    assert state.unreachable is None
    assert sum("reachable again" in r.message for r in caplog.records) == 1
    assert len(smtp.messages) == 2


def test_a_database_fault_does_not_stop_the_relay(
    sqlite_only_url: str, smtp: SmtpSink, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careops.relay")
    broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'no.db'}")
    state = RelayState()
    assert relay_once(broken, _settings(smtp.host, smtp.port), state) is None
    assert relay_once(broken, _settings(smtp.host, smtp.port), state) is None
    assert sum("cannot read the outbox" in r.message for r in caplog.records) == 1


def test_run_relay_stops_when_told(engine: Engine, smtp: SmtpSink) -> None:
    _enqueue(engine, 1)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_relay, args=(engine, _settings(smtp.host, smtp.port), stop),
        kwargs={"interval": 0.05},
    )  # fmt: skip
    worker.start()
    deadline = time.monotonic() + 10
    while not smtp.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert len(smtp.messages) == 1


def test_the_relay_tells_ops_of_failed_mail_once_smtp_answers(engine: Engine, smtp, settings):
    """Issue 13: the relay (not only the deliver-outbox sweep) sends the one ops notice."""
    from careops.bootstrap import get_mailer
    from careops.db.models.outbox import OutboxMessage, OutboxStatus
    from careops.db.uow import UnitOfWork
    from careops.services.operations.outbox_delivery import notify_failed_mail

    _enqueue(engine, 1)
    with engine.begin() as conn:
        conn.execute(OutboxMessage.__table__.update().values(
            status=OutboxStatus.FAILED, last_error="given up"))

    def notify(report) -> bool:
        return notify_failed_mail(UnitOfWork(engine), settings, get_mailer(), report)

    state = RelayState()
    relay_once(engine, settings.smtp, state, notify)
    relay_once(engine, settings.smtp, state, notify)
    assert len(smtp.to("ops@careops.local")) == 1


def test_a_poll_with_nothing_due_does_not_call_smtp_back(engine, smtp, caplog):
    """Chaos test finding: while every mail waits out its backoff, a poll sends nothing and
    reaches no server; it must not log "reachable again" (then "unreachable" on the next try)."""
    caplog.set_level(logging.INFO, logger="careops.relay")
    down = _settings("127.0.0.1", free_port(), backoff_seconds=3600, max_attempts=10)
    state = RelayState()
    _enqueue(engine, 2)
    for _ in range(3):
        relay_once(engine, down, state)
    assert state.unreachable
    assert sum("SMTP unreachable" in r.message for r in caplog.records) == 1
    assert not any("reachable again" in r.message for r in caplog.records)
