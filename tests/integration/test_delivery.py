"""Delivery from the outbox to real SMTP servers (aiosmtpd on loopback)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import Engine, select

from careops import outbox
from careops.clock import FrozenClock
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.db.uow import UnitOfWork
from careops.mail.delivery import SmtpPool, deliver_claimed, deliver_pending
from careops.mail.message import build_message
from careops.mail.render import RenderedMail
from careops.settings import SmtpSettings
from tests.support.smtp import SmtpSink, free_port

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _settings(host: str, port: int, **overrides) -> SmtpSettings:
    values = {"backoff_seconds": 30.0, "max_attempts": 3, "lease_seconds": 300.0}
    return SmtpSettings(host=host, port=port, **{**values, **overrides})


def _enqueue(engine: Engine, count: int, *, to: str = "zhang@example.com", prefix="m") -> None:
    with UnitOfWork(engine) as uow:
        for n in range(count):
            rendered = RenderedMail(f"【回访】第 {n} 封", f"正文 {n}", f"<p>正文 {n}</p>")
            message = build_message(
                sender="客服部 <careops@example.com>", recipients=[f"张三 <{to}>"],
                rendered=rendered,
            )
            outbox.enqueue(
                uow.session, key=f"{prefix}-{n}", category="t", recipients=[to],
                message=message, now=T0,
            )
        uow.commit()


def _statuses(engine: Engine) -> Counter:
    with engine.connect() as conn:
        return Counter(conn.scalars(select(OutboxMessage.status)))


def _message_ids(sink: SmtpSink) -> Counter:
    return Counter(str(m.message["Message-ID"]) for m in sink.messages)


def test_every_message_arrives_once(engine: Engine, smtp: SmtpSink) -> None:
    _enqueue(engine, 23)
    report = deliver_pending(engine, _settings(smtp.host, smtp.port), now=lambda: T0, batch=5)
    assert (report.sent, report.failed, report.retry_later, report.errors) == (23, 0, 0, [])
    assert len(smtp.messages) == 23 and set(_message_ids(smtp).values()) == {1}
    assert {m.subject for m in smtp.messages} == {f"【回访】第 {n} 封" for n in range(23)}
    assert smtp.messages[0].envelope_from == "careops@localhost"
    assert _statuses(engine) == {OutboxStatus.SENT: 23}
    assert deliver_pending(engine, _settings(smtp.host, smtp.port), now=lambda: T0).sent == 0


def test_pool_reuses_its_connections(sqlite_only_url: str, smtp: SmtpSink) -> None:
    from careops.db.engine import get_engine

    engine = get_engine(sqlite_only_url)
    _enqueue(engine, 20)
    first = outbox.claim_due(engine, limit=10, now=T0, lease=timedelta(minutes=5))
    second = outbox.claim_due(engine, limit=10, now=T0, lease=timedelta(minutes=5))

    async def run() -> tuple[int, int]:
        pool = SmtpPool(_settings(smtp.host, smtp.port, pool_size=3))
        try:
            a = await pool.deliver(first)
            b = await pool.deliver(second)
        finally:
            await pool.close()
        return len(a.sent_ids) + len(b.sent_ids), pool.connects

    assert asyncio.run(run()) == (20, 3)
    assert len(smtp.messages) == 20


def test_unreachable_server_keeps_mail_for_later(engine: Engine, smtp: SmtpSink) -> None:
    _enqueue(engine, 6)
    port = free_port()
    clock = FrozenClock(T0)
    report = deliver_pending(engine, _settings("127.0.0.1", port), now=clock, batch=4)
    assert report.sent == 0 and report.retry_later == 6 and report.failed == 0
    assert report.unreachable and report.unreachable.startswith(
        f"SMTP server 127.0.0.1:{port} unreachable: "
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
        ).all()
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 1)}
    assert all(f"127.0.0.1:{port} unreachable" in r.last_error for r in rows)
    with pytest.raises(Exception, match=f"127.0.0.1:{port} unreachable"):
        report.check()
    # the server is back (point the settings at it) once the backoff has passed
    clock.advance(seconds=30)
    report = deliver_pending(engine, _settings(smtp.host, smtp.port), now=clock)
    assert report.sent == 6 and report.unreachable is None
    assert len(smtp.messages) == 6 and _statuses(engine) == {OutboxStatus.SENT: 6}


class _Refusing:
    """An SMTP server that refuses recipients at refused.example (a hand-written fake)."""

    def __init__(self) -> None:
        self.received: list[list[str]] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def refusing() -> Iterator[tuple[_Refusing, int]]:
    handler, port = _Refusing(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_refused_message_backs_off_then_fails(engine: Engine, refusing) -> None:
    handler, port = refusing
    _enqueue(engine, 3, prefix="ok")
    _enqueue(engine, 2, to="nobody@refused.example", prefix="bad")
    settings, clock = _settings("127.0.0.1", port, max_attempts=2), FrozenClock(T0)
    report = deliver_pending(engine, settings, now=clock)
    assert (report.sent, report.retry_later, report.failed) == (3, 2, 0)
    assert len(handler.received) == 3 and report.unreachable is None
    assert "no such user here" in report.errors[0]
    # not due before the backoff has passed
    clock.advance(seconds=29)
    assert deliver_pending(engine, settings, now=clock).retry_later == 0
    clock.advance(seconds=1)
    report = deliver_pending(engine, settings, now=clock)
    assert (report.sent, report.retry_later, report.failed) == (0, 0, 2)
    assert [(f.attempts, "550" in f.last_error) for f in outbox.failed(engine)] == [(2, True)] * 2
    assert _statuses(engine) == {OutboxStatus.SENT: 3, OutboxStatus.FAILED: 2}


def test_zero_backoff_does_not_retry_within_one_run(engine: Engine, refusing) -> None:
    _handler, port = refusing
    _enqueue(engine, 4, to="nobody@refused.example")
    settings = _settings("127.0.0.1", port, backoff_seconds=0, max_attempts=5)
    report = deliver_pending(engine, settings, now=lambda: T0, batch=2)
    assert (report.sent, report.retry_later, report.failed) == (0, 4, 0)
    with engine.connect() as conn:
        assert set(conn.scalars(select(OutboxMessage.attempts))) == {1}


def test_crash_after_claim_is_redelivered_after_the_lease(engine: Engine, smtp: SmtpSink) -> None:
    _enqueue(engine, 5)
    settings = _settings(smtp.host, smtp.port)
    claimed = outbox.claim_due(engine, limit=5, now=T0, lease=timedelta(seconds=300))
    asyncio.run(deliver_claimed(claimed[:2], settings))  # two went out, then the process died
    assert deliver_pending(engine, settings, now=lambda: T0 + timedelta(seconds=299)).sent == 0
    report = deliver_pending(engine, settings, now=lambda: T0 + timedelta(seconds=301))
    assert report.sent == 5 and _statuses(engine) == {OutboxStatus.SENT: 5}
    counts = _message_ids(smtp)
    assert len(counts) == 5 and sorted(counts.values()) == [1, 1, 1, 2, 2]  # same Message-ID


def test_reconnects_when_the_server_dropped_the_connection(sqlite_only_url: str) -> None:
    from careops.db.engine import get_engine

    engine = get_engine(sqlite_only_url)
    _enqueue(engine, 8)
    port = free_port()
    settings = _settings("127.0.0.1", port, pool_size=2)
    first, second = _Refusing(), _Refusing()

    async def run() -> tuple[int, int]:
        pool = SmtpPool(settings)
        server = Controller(first, hostname="127.0.0.1", port=port)
        server.start()
        batch = outbox.claim_due(engine, limit=4, now=T0, lease=timedelta(minutes=5))
        sent = len((await pool.deliver(batch)).sent_ids)
        server.stop()  # the server restarts: the pooled connections are dead
        server = Controller(second, hostname="127.0.0.1", port=port)
        server.start()
        batch = outbox.claim_due(engine, limit=4, now=T0, lease=timedelta(minutes=5))
        sent += len((await pool.deliver(batch)).sent_ids)
        await pool.close()
        server.stop()
        return sent, pool.connects

    assert asyncio.run(run()) == (8, 4)
    assert len(first.received) == 4 and len(second.received) == 4


def test_login_refused_names_server_and_user_but_not_password(engine: Engine) -> None:
    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        return AuthResult(success=auth_data.password == b"right-secret", handled=False)

    handler, port = _Refusing(), free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        _enqueue(engine, 2)
        wrong = _settings("127.0.0.1", port, username="careops", password="wrong-secret",
                          allow_plain_auth=True)
        report = deliver_pending(engine, wrong, now=lambda: T0)
        assert report.retry_later == 2 and report.sent == 0
        assert f"127.0.0.1:{port} refused login as 'careops'" in report.unreachable
        with engine.connect() as conn:
            errors = " ".join(conn.scalars(select(OutboxMessage.last_error)))
        assert "wrong-secret" not in errors and "refused login" in errors
        right = _settings("127.0.0.1", port, username="careops", password="right-secret",
                          allow_plain_auth=True)
        assert deliver_pending(engine, right, now=lambda: T0 + timedelta(minutes=1)).sent == 2
    finally:
        controller.stop()
    assert len(handler.received) == 2


def test_concurrent_deliverers_send_each_message_once(engine: Engine, smtp: SmtpSink) -> None:
    _enqueue(engine, 60)
    settings = _settings(smtp.host, smtp.port, pool_size=2)
    reports = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        reports.append(deliver_pending(engine, settings, now=lambda: T0, batch=4))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 60
    assert len(smtp.messages) == 60 and set(_message_ids(smtp).values()) == {1}


def test_works_inside_a_running_event_loop(sqlite_only_url: str, smtp: SmtpSink) -> None:
    from careops.db.engine import get_engine

    engine = get_engine(sqlite_only_url)
    _enqueue(engine, 3)

    async def caller() -> int:
        return deliver_pending(engine, _settings(smtp.host, smtp.port), now=lambda: T0).sent

    assert asyncio.run(caller()) == 3


@pytest.mark.parametrize("stored", ["<@careops.local", "evil", ""])
def test_a_row_stored_with_an_unusable_envelope_fails_alone(engine, smtp, stored) -> None:
    """Rows written before addresses were checked (issue 13): the rest of the batch goes on."""
    _enqueue(engine, 3)
    with engine.begin() as conn:
        conn.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.key == "m-1")
            .values(recipients=stored)
        )
    report = deliver_pending(engine, _settings(smtp.host, smtp.port), now=lambda: T0)

    assert (report.sent, report.failed) == (2, 1)
    assert all(m.envelope_to == ["zhang@example.com"] for m in smtp.messages)
    with engine.connect() as conn:
        row = conn.execute(
            select(OutboxMessage.status, OutboxMessage.last_error).where(OutboxMessage.key == "m-1")
        ).one()
    assert row.status == OutboxStatus.FAILED and row.last_error.startswith("no usable recipient")


def test_enqueue_stores_a_message_nobody_can_receive_as_failed(engine) -> None:
    _enqueue(engine, 1, to="a,b@example.com")
    with engine.connect() as conn:
        row = conn.execute(select(OutboxMessage.status, OutboxMessage.last_error)).one()
    assert row.status == OutboxStatus.FAILED and "'a,b@example.com'" in row.last_error


@pytest.mark.parametrize(
    ("host", "allow"), [("127.0.0.1", False), ("smtp.example.com", False),
                        ("smtp.example.com", True), ("10.0.0.5", True)],
)
def test_login_over_plain_tcp_is_refused_before_anything_is_claimed(engine, host, allow):
    """Issue 13, defect 8: the password would cross the network in clear."""
    from careops.errors import SmtpConfigError

    _enqueue(engine, 1)
    smtp = _settings(host, 25, username="careops", password="pw-in-clear", allow_plain_auth=allow)
    with pytest.raises(SmtpConfigError, match='security is "none"') as caught:
        deliver_pending(engine, smtp, now=lambda: T0)
    assert "pw-in-clear" not in str(caught.value) and host in str(caught.value)
    assert ("loopback" in str(caught.value)) and _statuses(engine) == {OutboxStatus.PENDING: 1}
