"""Benchmark: plan-callbacks for 100,000 projects, beside a plain Core executemany anchor.

    .venv/bin/python benchmarks/plan_callbacks.py [--projects 100000] [--postgres URL]

For each backend: a fresh migrated database with the projects (delivered over the last three
years), then the two steps of the flow — planning (select projects, R1 due dates, assignment,
idempotent insert: one transaction) and the call lists (rendered with an XLSX attachment into the
outbox, callbacks marked notified: a second transaction) — and the anchor, a plain SQLAlchemy
Core `executemany` insert of the same callback rows into an empty table. Prints the times and
the planning/anchor ratio. Targets: planning <= 2 s on SQLite, <= 2x the anchor.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, select, text
from sqlalchemy.engine import make_url

from careops.bootstrap import get_calendar, get_mailer
from careops.db.engine import make_engine, normalise_url
from careops.db.migrate import upgrade
from careops.db.models.callbacks import Callback
from careops.db.models.common import Customer, Department, Project, Staff
from careops.db.models.outbox import OutboxMessage
from careops.db.uow import UnitOfWork
from careops.months import Month
from careops.services.callbacks.planning import plan_month, queue_call_lists

MONTH = Month(2026, 12)
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def populate(engine, projects: int, cs_staff: int) -> None:
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(insert(Staff), [
            {"code": f"CS{i:03d}", "name": f"客服{i}", "department": Department.CS,
             "role": "member", "email": f"cs{i}@bench.local", "locale": "zh_CN", "active": True}
            for i in range(cs_staff)
        ])
        staff_ids = list(conn.scalars(select(Staff.id)))
        conn.execute(insert(Customer), [
            {"code": f"C{i:05d}", "name": f"客户{i}有限公司", "tier": "B",
             "contact_name": f"联系人{i}", "contact_phone": "13800138000", "no_calls": False}
            for i in range(projects // 50)
        ])
        customer_ids = list(conn.scalars(select(Customer.id)))
        first = MONTH.first_day - timedelta(days=3 * 365)
        conn.execute(insert(Project), [
            {"code": f"P{i:06d}", "name": f"项目{i}", "customer_id": rng.choice(customer_ids),
             "delivered_on": first + timedelta(days=rng.randrange(3 * 365)),
             "cs_owner_id": rng.choice(staff_ids) if rng.random() < 0.7 else None}
            for i in range(projects)
        ])


def measure(url: str, projects: int, cs_staff: int) -> tuple[float, float, int]:
    engine = make_engine(url)
    upgrade(url)
    populate(engine, projects, cs_staff)
    get_calendar().roll_forward(date(2026, 12, 1))  # load the calendar outside the timing

    started = time.perf_counter()
    result = plan_month(UnitOfWork(engine), MONTH, get_calendar(), NOW)
    planning = time.perf_counter() - started
    started = time.perf_counter()
    lists, _entries = queue_call_lists(UnitOfWork(engine), MONTH, get_mailer(), NOW)
    mailing = time.perf_counter() - started

    columns = ["project_id", "anchor_date", "seq", "due_date", "month", "assignee_id", "status",
               "created_at"]
    with engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(*(getattr(Callback, c) for c in columns)))]
        conn.execute(delete(OutboxMessage))
        conn.execute(delete(Callback))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Callback), rows)
    anchor = time.perf_counter() - started
    engine.dispose()
    assert result.created == len(rows)
    return planning, mailing, len(lists), anchor, result.created


def report(name: str, planning: float, mailing: float, lists: int, anchor: float,
           created: int) -> None:
    print(f"{name:10} planning {planning:5.2f} s for {created} callbacks | anchor (Core "
          f"executemany) {anchor:5.2f} s | ratio {planning / anchor:4.2f}x | call lists "
          f"{mailing:5.2f} s for {lists} mails | whole run {planning + mailing:5.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--cs-staff", type=int, default=40)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL of a PostgreSQL server ('' to skip)")
    args = parser.parse_args()
    print(f"{args.projects} projects, {args.cs_staff} CS staff, planning {MONTH}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        report("SQLite", *measure(url, args.projects, args.cs_staff))
    if args.postgres:
        admin_url = make_url(normalise_url(args.postgres))
        name = f"careops_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            report("PostgreSQL", *measure(url, args.projects, args.cs_staff))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
