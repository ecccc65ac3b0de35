"""Two planning processes at once create every callback once and mail every assignee once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select

from careops.db.models.callbacks import Callback
from careops.db.models.common import Project
from careops.db.models.outbox import OutboxMessage
from careops.mail.delivery import deliver_pending
from tests.support.concurrency import run_together
from tests.support.factories import World


def plan_in_this_process(month: str) -> int:
    from careops.bootstrap import get_calendar, get_mailer
    from careops.clock import utcnow
    from careops.db.uow import UnitOfWork
    from careops.months import Month
    from careops.services.callbacks.planning import plan_and_notify

    return plan_and_notify(
        UnitOfWork(), Month.parse(month), get_calendar(), get_mailer(), utcnow()
    ).created


def test_two_processes_plan_the_same_month(uow, db_url, smtp, settings):
    world = World(uow)
    staff = [world.staff(f"CS{i}") for i in range(4)]
    customer = world.customer("C1")
    start = date(2024, 1, 1)
    with uow:
        uow.session.execute(
            insert(Project),
            [
                {
                    "code": f"P{i:05d}",
                    "name": f"项目{i}",
                    "customer_id": customer,
                    "delivered_on": start + timedelta(days=i % 1000),
                    "cs_owner_id": staff[0] if i % 5 == 0 else None,
                }
                for i in range(3000)
            ],
        )
        uow.commit()

    env = {"CAREOPS_DATABASE_URL": db_url, "CAREOPS_SMTP__PORT": str(smtp.port)}
    created = run_together(plan_in_this_process, ("2026-03",), env)

    with uow:
        total = uow.session.scalar(select(func.count()).select_from(Callback))
        keys = uow.session.execute(
            select(Callback.project_id, Callback.anchor_date, Callback.seq)
        ).all()
        lists = uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert total > 500 and sorted(created) == [0, total]
    assert len(set(keys)) == total
    assert lists == 4
    deliver_pending(uow.engine, settings.smtp, now=lambda: datetime.now(UTC))
    assert sorted(len(smtp.to(f"cs{i}@careops.test")) for i in range(4)) == [1, 1, 1, 1]
