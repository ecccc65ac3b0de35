"""Shared set-up of the R5 fault tests: the people around one project, and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from careops.clock import FrozenClock, utcnow
from careops.db.models.common import Department, StaffRole
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.rules.faults import FaultSeverity
from careops.services.faults.env import FaultEnv
from careops.services.faults.steps import FaultReport
from tests.support.factories import World
from tests.support.smtp import SmtpSink

# Monday 2026-03-16 10:00 Asia/Shanghai
START = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)

SALES, MANAGER, TS_HEAD, CS_HEAD = (
    "sales@careops.test", "mgr@careops.test", "tsh@careops.test", "csh@careops.test")
TS_SUP, TS_CONTACT, LEADER = "tssup@careops.test", "ts1@careops.test", "boss@careops.test"
CUSTOMER, BIZ = "c1@customer.test", "biz@careops.local"


def build_world(uow: UnitOfWork, *, leadership_staff: bool = True) -> int:
    """Staff of every role the routing needs and one project; returns the project id."""
    w = World(uow)
    sales = w.staff("SALES", Department.BIZ)
    manager = w.staff("MGR", Department.TS, role=StaffRole.MANAGER, name="赵经理")
    w.staff("TSH", Department.TS, role=StaffRole.HEAD)
    w.staff("CSH", Department.CS, role=StaffRole.HEAD)
    w.staff("TSSUP", Department.TS, role=StaffRole.SUPERVISOR)
    w.staff("CS9", Department.CS)  # a CS member: never notified
    ts1 = w.staff("TS1", Department.TS)
    if leadership_staff:
        w.staff("BOSS", Department.LEADERSHIP, locale="en")
    customer = w.customer("C1")
    return w.project("P-ALPHA", customer, None, sales_id=sales, manager_id=manager,
                     ts_contact_id=ts1)


def report(severity: FaultSeverity = FaultSeverity.MAJOR, **over) -> FaultReport:
    values = dict(
        project_code="P-ALPHA", occurred_at=START.replace(hour=1, minute=30),
        place="主站 Web 服务器", symptoms="首页 502，用户无法登录",
        handling_plan="切换备用节点，排查数据库",
        severity=severity, reporter="李雷",
    )
    values.update(over)
    return FaultReport(**values)


@dataclass
class Harness:
    uow: UnitOfWork
    env: FaultEnv
    clock: FrozenClock
    smtp: SmtpSink
    settings: object

    def deliver(self) -> dict[str, list[str]]:
        """Deliver the outbox; return what each address received since the last call."""
        self.smtp.clear()
        # outbox rows carry the frozen clock: deliver at whichever is later, it or real time
        deliver_pending(self.uow.engine, self.settings.smtp,
                        now=lambda: max(utcnow(), self.clock()))
        got: dict[str, list[str]] = {}
        for m in self.smtp.messages:
            for rcpt in m.envelope_to:
                got.setdefault(rcpt, []).append(m.subject)
        return got
