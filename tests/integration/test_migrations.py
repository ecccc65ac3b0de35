"""The Alembic migrations produce exactly the schema the models declare, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from careops.db.base import Base
from careops.db.migrate import downgrade, upgrade


def test_migrations_equal_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(db_url, engine):
    downgrade(db_url, "base")
    with engine.connect() as conn:
        assert engine.dialect.has_table(conn, "callback") is False
    upgrade(db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0004_keeps_recorded_outcomes_as_attempts_and_dates_the_months(db_url, engine):
    """Facts recorded before callback_attempt / callback_month existed are carried over."""
    from datetime import UTC, date, datetime

    from sqlalchemy import insert, select

    from careops.db.models.callbacks import Callback, CallbackAttempt, CallbackMonth
    from careops.db.models.common import Customer, Project
    from careops.db.models.outbox import OutboxMessage

    listed, recorded, closed = (datetime(2026, 2, d, 1, 0, tzinfo=UTC) for d in (2, 10, 28))
    downgrade(db_url, "0003_fault_pending_deadline")
    with engine.begin() as conn:
        customer = conn.execute(insert(Customer).values(
            code="C1", name="客户", tier="A", contact_name="王", no_calls=False, locale="zh_CN"
        )).inserted_primary_key[0]
        project = conn.execute(insert(Project).values(
            code="P1", name="项目", customer_id=customer, delivered_on=date(2025, 12, 14)
        )).inserted_primary_key[0]
        conn.execute(insert(Callback), [
            {"project_id": project, "anchor_date": date(2025, 12, 14), "seq": seq,
             "due_date": due, "month": f"{due:%Y-%m}", "status": status, "outcome": outcome,
             "satisfaction": score, "recorded_by": by, "recorded_at": at,
             "notified_at": listed if due.month == 2 else None, "created_at": listed}
            for seq, due, status, outcome, score, by, at in [
                (2, date(2026, 2, 16), "done", "reached", 4, "李雷", recorded),
                (3, date(2026, 3, 16), "open", None, None, None, None),
            ]
        ])
        conn.execute(insert(OutboxMessage).values(
            key="callback-month-summary:2026-02", category="callback_month_summary",
            recipients="h@x.test", subject="s", message_id="<m@x>", raw="", status="sent",
            attempts=1, next_attempt_at=closed, created_at=closed,
        ))
    upgrade(db_url)
    with engine.connect() as conn:
        attempts = conn.execute(select(
            CallbackAttempt.seq, CallbackAttempt.outcome, CallbackAttempt.satisfaction,
            CallbackAttempt.recorded_by, CallbackAttempt.recorded_at, CallbackAttempt.late,
        )).all()
        months = conn.execute(select(
            CallbackMonth.month, CallbackMonth.planned_at, CallbackMonth.closed_at
        ).order_by(CallbackMonth.month)).all()
    assert [tuple(a) for a in attempts] == [(1, "reached", 4, "李雷", recorded, False)]
    assert [tuple(m) for m in months] == [("2026-02", listed, closed), ("2026-03", None, None)]
