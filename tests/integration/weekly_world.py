"""A small TS department for the weekly-report tests (R4), with a week of facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from careops.clock import FrozenClock
from careops.db.models.callbacks import Callback
from careops.db.models.common import Department, StaffRole
from careops.db.models.faults import Fault
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.services.weekly.meetings import WeeklyEnv
from careops.settings import Settings
from tests.support.factories import World
from tests.support.smtp import Received, SmtpSink

TS_HEAD, TS1, TS2, TS3, TS_AWAY = "TSH", "TS001", "TS002", "TS003", "TS004"
CS_HEAD = "csh@careops.test"
# Wednesday 2026-09-30: the meeting of 2026-W40 (Thursday 10-01 and Friday 10-02 are off).
MOVED_MEETING = datetime(2026, 9, 30, 1, 30, tzinfo=UTC)  # 09:30 Asia/Shanghai


def email(code: str) -> str:
    return f"{code.lower()}@careops.test"


@dataclass
class WeeklyHarness:
    uow: UnitOfWork
    env: WeeklyEnv
    clock: FrozenClock
    smtp: SmtpSink
    settings: Settings
    ids: dict[str, int]

    def deliver(self) -> list[Received]:
        """Deliver the outbox; the mails that arrived since the last call."""
        self.smtp.clear()
        deliver_pending(self.uow.engine, self.settings.smtp)
        return self.smtp.messages


def build_world(uow: UnitOfWork) -> dict[str, int]:
    world = World(uow)
    ids = {
        TS_HEAD: world.staff(TS_HEAD, Department.TS, role=StaffRole.HEAD, name="周主任"),
        TS1: world.staff(TS1, Department.TS, name="李雷"),
        TS2: world.staff(TS2, Department.TS, name="韩梅梅"),
        TS3: world.staff(TS3, Department.TS, name="Tom Lee", locale="en"),
        TS_AWAY: world.staff(TS_AWAY, Department.TS, name="王出差"),
        "TS9": world.staff("TS9", Department.TS, active=False, name="离职者"),
        "CSH": world.staff("CSH", Department.CS, role=StaffRole.HEAD, name="王丽娟"),
        "CS1": world.staff("CS1", Department.CS, name="陈晓燕"),
    }
    customer = world.customer("C1", name="上海申城物流有限公司")
    ids["P1"] = world.project("P-ALPHA", customer, date(2025, 1, 10), ts_contact_id=ids[TS1],
                              cs_owner_id=ids["CS1"])
    ids["P2"] = world.project("P-BETA", customer, date(2025, 2, 10), ts_contact_id=ids[TS2])
    with uow:
        s = uow.session
        s.add_all([
            Callback(project_id=ids["P1"], anchor_date=date(2025, 1, 10), seq=20,
                     due_date=date(2026, 9, 28), month="2026-09", assignee_id=ids["CS1"],
                     status="done", outcome="reached", satisfaction=5, recorded_by="陈晓燕",
                     recorded_at=datetime(2026, 9, 28, 3, 0, tzinfo=UTC)),
            Callback(project_id=ids["P1"], anchor_date=date(2025, 1, 10), seq=21,
                     due_date=date(2026, 9, 29), month="2026-09", assignee_id=ids["CS1"],
                     status="open"),
            Callback(project_id=ids["P2"], anchor_date=date(2025, 2, 10), seq=20,
                     due_date=date(2026, 9, 29), month="2026-09", assignee_id=ids["CS1"],
                     status="done", outcome="not_reached",
                     recorded_at=datetime(2026, 9, 29, 3, 0, tzinfo=UTC)),
            Fault(report_key="weekly-f1", project_id=ids["P1"], severity="major",
                  state="resolved", occurred_at=datetime(2026, 9, 28, 1, 0, tzinfo=UTC),
                  place="主站", symptoms="首页 502", handling_plan="切换备用节点", reporter="李雷",
                  reported_at=datetime(2026, 9, 28, 1, 10, tzinfo=UTC),
                  resolved_at=datetime(2026, 9, 28, 3, 40, tzinfo=UTC),
                  ended_at=datetime(2026, 9, 28, 3, 40, tzinfo=UTC), timer_count=0),
        ])
        uow.commit()
    return ids
