"""R5 routing: "the relevant departments" are reached whatever the roles are called, a minor
fault stays in TS, and nobody who should hear is skipped silently (both backends)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.common import Department, Project, Staff, StaffRole
from careops.demo import seed_demo
from careops.rules.faults import FaultSeverity
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import fault_timeline
from careops.services.faults.steps import file_fault, report_fault
from careops.services.faults.watch import watch_faults
from careops.services.operations.imports import import_file
from careops.settings import PROJECT_ROOT
from tests.integration.fault_world import START, Harness, report
from tests.support.factories import World

TS_BOX, CS_BOX = "ts@careops.local", "cs@careops.local"
SUP, BOSS, CSH = "tssup@careops.test", "boss@careops.test", "csh@careops.test"


def _world(uow, *, ts_supervisor=True, cs_head=True, ts_contact=True, sales=True,
           sales_active=True, manager=True) -> None:
    w = World(uow)
    if ts_supervisor:
        w.staff("TSSUP", Department.TS, role=StaffRole.SUPERVISOR)
    if cs_head:
        w.staff("CSH", Department.CS, role=StaffRole.HEAD)
    w.staff("BOSS", Department.LEADERSHIP)
    extra: dict = {}
    if ts_contact:
        extra["ts_contact_id"] = w.staff("TS1", Department.TS)
    if sales:
        extra["sales_id"] = w.staff("SALES", Department.BIZ, active=sales_active, name="周杰")
    if manager:
        extra["manager_id"] = w.staff("MGR", Department.BIZ, role=StaffRole.MANAGER,
                                      name="赵经理")
    w.project("P-ALPHA", w.customer("C1"), None, **extra)


def _harness(uow, settings, smtp, **mailboxes) -> Harness:
    env = FaultEnv.from_settings(settings)
    if mailboxes:
        env = dataclasses.replace(env, department_mailboxes=mailboxes)
    return Harness(uow, env, FrozenClock(START), smtp, settings)


def test_a_major_fault_reaches_ts_through_its_supervisor_and_cs_through_its_mailbox(
    uow, settings, smtp
):
    _world(uow, cs_head=False)  # TS: a supervisor, no head; CS: nobody in charge
    h = _harness(uow, settings, smtp)
    result = report_fault(h.uow, report(), h.env, h.clock())
    got = h.deliver()
    assert SUP in got and CS_BOX in got
    assert TS_BOX not in got  # a person was found: the mailbox is only the last resort
    assert result.warnings == []


def test_a_department_nobody_can_be_found_for_is_warned(uow, settings, smtp):
    _world(uow, cs_head=False)
    h = _harness(uow, settings, smtp, TS=TS_BOX)  # no CS mailbox configured
    result = report_fault(h.uow, report(), h.env, h.clock())
    got = h.deliver()
    assert SUP in got and BOSS not in got  # the others were told; nothing goes upward
    assert len(result.warnings) == 1 and "CS" in result.warnings[0]
    (mail,) = h.smtp.to(SUP)
    assert "未能通知" in mail.text() and "客服部" in mail.text()
    kinds = [e.kind for e in fault_timeline(h.uow, result.fault_id).timeline]
    assert "unreached" in kinds


def test_a_minor_fault_without_ts_contact_goes_to_the_ts_supervisor_never_upward(
    uow, settings, smtp
):
    _world(uow, ts_contact=False)
    h = _harness(uow, settings, smtp)
    result = report_fault(h.uow, report(FaultSeverity.MINOR), h.env, h.clock())
    assert list(h.deliver()) == [SUP]
    assert any("TS contact" in w for w in result.warnings)


def test_a_minor_fault_with_no_ts_staff_goes_to_the_ts_mailbox(uow, settings, smtp):
    _world(uow, ts_contact=False, ts_supervisor=False)
    h = _harness(uow, settings, smtp)
    report_fault(h.uow, report(FaultSeverity.MINOR), h.env, h.clock())
    assert list(h.deliver()) == [TS_BOX]


def test_a_minor_fault_nobody_in_ts_can_get_is_warned_not_sent_upward(uow, settings, smtp):
    _world(uow, ts_contact=False, ts_supervisor=False)
    h = _harness(uow, settings, smtp, CS=CS_BOX)  # no TS mailbox either
    result = report_fault(h.uow, report(FaultSeverity.MINOR), h.env, h.clock())
    assert h.deliver() == {}
    assert result.notified == [] and any("TS" in w for w in result.warnings)


def test_missing_or_inactive_salesperson_and_manager_are_named(uow, settings, smtp):
    _world(uow, sales_active=False, manager=False)
    h = _harness(uow, settings, smtp)
    result = report_fault(h.uow, report(), h.env, h.clock())
    got = h.deliver()
    assert "sales@careops.test" not in got
    text = h.smtp.to(SUP)[0].text()
    assert "未能通知" in text and "业务签单人员" in text and "周杰" in text and "已停用" in text
    assert "分管经理" in text and "未指定" in text
    joined = " ".join(result.warnings)
    assert "salesperson 周杰" in joined and "inactive" in joined
    assert "manager" in joined and "P-ALPHA names none" in joined
    # filing goes to the manager: with none, leadership hears (a major fault) and it is said
    filed = file_fault(h.uow, result.fault_id, "值班经理", h.env, h.clock())
    assert BOSS in h.deliver() and filed.warnings == []


def _major_fault_reaches_ts_and_cs(uow, settings, smtp, ts_boss: str, cs_boss: str) -> None:
    with uow:
        code = uow.session.scalars(select(Project.code).order_by(Project.id)).first()
    h = _harness(uow, settings, smtp)
    result = report_fault(h.uow, report(project_code=code), h.env, h.clock())
    got = h.deliver()
    assert ts_boss in got and cs_boss in got
    assert result.warnings == []


def test_demo_data_reaches_the_ts_supervisor_and_the_cs_head(uow, settings, smtp):
    seed_demo(uow, today=date(2026, 3, 1))
    with uow:
        s = uow.session
        sup = s.scalars(select(Staff.email).where(
            Staff.department == Department.TS, Staff.role == StaffRole.SUPERVISOR)).one()
        head = s.scalars(select(Staff.email).where(
            Staff.department == Department.CS, Staff.role == StaffRole.HEAD)).one()
    _major_fault_reaches_ts_and_cs(uow, settings, smtp, sup, head)


def test_sample_import_files_reach_the_ts_supervisor_and_the_cs_head(uow, settings, smtp):
    samples = PROJECT_ROOT / "config" / "samples"
    for kind in ("staff", "customers", "projects"):
        assert import_file(uow, kind, samples / f"{kind}.csv", today=date(2026, 11, 23)).ok
    _major_fault_reaches_ts_and_cs(uow, settings, smtp, "zhangjianguo@careops.local",
                                   "wanglijuan@careops.local")


@pytest.mark.parametrize("missing", ["inactive", "none"])
def test_an_unfiled_fault_without_a_reachable_manager_is_chased_to_leadership(
    uow, settings, smtp, missing
):
    _world(uow, manager=missing != "none")
    if missing == "inactive":
        with uow:
            uow.session.scalars(select(Staff).where(Staff.code == "MGR")).one().active = False
            uow.commit()
    h = _harness(uow, settings, smtp)
    report_fault(h.uow, report(), h.env, h.clock())
    h.deliver()
    h.clock.advance(minutes=30)
    result = watch_faults(h.uow, h.env, h.clock())
    assert list(h.deliver()) == [BOSS]
    assert any("manager" in w for w in result.warnings)
