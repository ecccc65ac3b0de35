"""The outbox on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from careops import outbox
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.db.uow import UnitOfWork
from careops.mail.message import build_message
from careops.mail.render import RenderedMail

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _message(n: int = 0):
    rendered = RenderedMail(f"回访提醒 {n}", f"第 {n} 封", f"<p>第 {n} 封</p>")
    return build_message(
        sender="客服部 <careops@example.com>",
        recipients=["张三 <zhang@example.com>"],
        rendered=rendered,
    )


def _enqueue(engine: Engine, count: int, *, now: datetime = T0, prefix: str = "m") -> None:
    with UnitOfWork(engine) as uow:
        for n in range(count):
            outbox.enqueue(
                uow.session,
                key=f"{prefix}-{n}",
                category="test",
                recipients=["张三 <zhang@example.com>"],
                message=_message(n),
                now=now,
            )
        uow.commit()


def _rows(engine: Engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxMessage.__table__).order_by(OutboxMessage.id)))


def test_enqueue_same_key_twice_stores_one_row(uow: UnitOfWork) -> None:
    with uow:
        first = outbox.enqueue(
            uow.session, key="k", category="c", recipients=["a@example.com"], message=_message(1)
        )
        second = outbox.enqueue(
            uow.session, key="k", category="c", recipients=["a@example.com"], message=_message(2)
        )
        uow.commit()
    assert (first, second) == (True, False)
    [row] = _rows(uow.engine)
    assert row.subject == "回访提醒 1" and row.status == OutboxStatus.PENDING
    assert row.recipients == "a@example.com" and row.message_id in row.raw


def test_enqueue_rolls_back_with_the_callers_transaction(uow: UnitOfWork) -> None:
    with uow:
        assert outbox.enqueue(
            uow.session, key="k", category="c", recipients=["a@example.com"], message=_message()
        )
        # leaving without commit: the service failed
    assert _rows(uow.engine) == []
    assert outbox.pending_count(uow.engine) == 0


def test_claim_leases_due_rows_once(engine: Engine) -> None:
    _enqueue(engine, 3)
    _enqueue(engine, 1, now=T0 + timedelta(hours=1), prefix="later")
    claimed = outbox.claim_due(engine, limit=10, now=T0, lease=LEASE)
    assert [c.attempts for c in claimed] == [1, 1, 1]
    assert claimed[0].recipients == ["zhang@example.com"] and "Message-ID" in claimed[0].raw
    assert outbox.claim_due(engine, limit=10, now=T0 + timedelta(minutes=1), lease=LEASE) == []
    # the lease expired (the deliverer crashed): due again, attempt counted
    again = outbox.claim_due(engine, limit=2, now=T0 + LEASE + timedelta(seconds=1), lease=LEASE)
    assert [c.id for c in again] == [c.id for c in claimed][:2]
    assert [c.attempts for c in again] == [2, 2]


def test_mark_sent_and_backoff_then_give_up(engine: Engine) -> None:
    _enqueue(engine, 2)
    sent, failing = outbox.claim_due(engine, limit=2, now=T0, lease=LEASE)
    outbox.mark_sent(engine, [sent.id], T0)
    backoff = timedelta(seconds=30)
    outcome = outbox.mark_failed(engine, [(failing.id, "550 no such user")], T0, backoff, 3)
    assert outcome == (1, 0)
    rows = {r.id: r for r in _rows(engine)}
    assert rows[sent.id].status == OutboxStatus.SENT and rows[sent.id].sent_at == T0
    assert rows[failing.id].next_attempt_at == T0 + backoff
    assert rows[failing.id].last_error == "550 no such user"
    # attempt 2 fails → 60 s; attempt 3 fails → given up
    now = T0 + backoff
    [again] = outbox.claim_due(engine, limit=5, now=now, lease=LEASE)
    outbox.mark_failed(engine, [(again.id, "550 again")], now, backoff, 3)
    assert _rows(engine)[1].next_attempt_at == now + 2 * backoff
    now += 2 * backoff
    [last] = outbox.claim_due(engine, limit=5, now=now, lease=LEASE)
    assert last.attempts == 3
    assert outbox.mark_failed(engine, [(last.id, "550 still")], now, backoff, 3) == (0, 1)
    [gone] = outbox.failed(engine)
    assert (gone.id, gone.attempts, gone.last_error) == (failing.id, 3, "550 still")
    assert outbox.claim_due(engine, limit=5, now=now + timedelta(days=1), lease=LEASE) == []
    assert outbox.pending_count(engine) == 0


def test_concurrent_claimers_get_disjoint_rows(postgres_url: str) -> None:
    from careops.db.engine import get_engine

    engine = get_engine(postgres_url)
    _enqueue(engine, 200)
    barrier = threading.Barrier(4)
    results: list[list[int]] = [[] for _ in range(4)]

    def claimer(slot: int) -> None:
        barrier.wait()
        while batch := outbox.claim_due(engine, limit=7, now=T0, lease=LEASE):
            results[slot].extend(c.id for c in batch)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [i for ids in results for i in ids]
    assert len(claimed) == 200 and len(set(claimed)) == 200
    assert all(r.attempts == 1 for r in _rows(engine))
