"""What customers and engineers do about cases and faults (R6, R5), by seeded chance:
cases of every kind opened on working days, answered before the deadline or (15%) after it,
some given an opinion (some not satisfied: reopened), the rest closed by case-deadlines; faults
reported (40% major: filed within 10-90 minutes), resolved within hours, analysed in 1-4 days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from careops.db.models.common import Customer, Department, Project
from careops.rules.cases import CaseKind, Channel, Opinion
from careops.rules.faults import FaultSeverity
from careops.services.cases import steps as cases
from careops.services.cases.notices import CaseEnv
from careops.services.faults import steps as faults
from careops.services.faults.env import FaultEnv
from careops.simulation.core import Sim

CASES_A_DAY = 0.25  # per working day for the demo's 200 customers
FAULTS_A_DAY = 0.04


def _pick(sim: Sim, model, column) -> str:
    uow = sim.uow()
    with uow:
        codes = sim.state.setdefault(
            model.__name__, list(uow.session.scalars(select(column).order_by(column)))
        )
    return sim.rng.choice(codes)


def open_cases(sim: Sim) -> dict:
    if sim.rng.random() >= CASES_A_DAY * sim.scale:
        return {}
    kind = sim.rng.choice(list(CaseKind))
    owner = sim.rng.choice(sim.staff_codes(Department.CS))
    env = CaseEnv.from_settings()
    opened = cases.open_case(
        sim.uow(),
        cases.CaseIntake(
            kind,
            f"客户来电（模拟 {sim.now:%Y-%m-%d}）",
            owner,
            customer_code=_pick(sim, Customer, Customer.code),
            channel=Channel.PHONE,
        ),
        env,
        sim.now,
    )
    if opened.due_at is None:
        return {"opened": 1, "deadline pending": 1}
    late = sim.rng.random() < 0.15
    answer_at = (
        opened.due_at + timedelta(hours=sim.rng.randint(2, 30))
        if late
        else sim.now + (opened.due_at - sim.now) * sim.rng.uniform(0.1, 0.9)
    )
    sim.agenda.at(
        answer_at, "people: cases", lambda s: _answer(s, opened.case_id, owner), unique=False
    )
    return {"opened": 1, "to be answered late": late}


def _answer(sim: Sim, case_id: int, owner: str) -> dict:
    cases.send_result(sim.uow(), case_id, "已处理（模拟）", owner, CaseEnv.from_settings(), sim.now)
    if sim.rng.random() < 0.6:  # the others give no opinion: case-deadlines closes them
        opinion = Opinion.SATISFIED if sim.rng.random() < 0.9 else Opinion.NOT_SATISFIED
        sim.later(
            timedelta(hours=sim.rng.randint(2, 72)),
            "people: cases",
            lambda s: _opinion(s, case_id, opinion),
        )
    return {"answered": 1}


def _opinion(sim: Sim, case_id: int, opinion: Opinion) -> dict:
    cases.record_opinion(sim.uow(), case_id, opinion, None, CaseEnv.from_settings(), sim.now)
    return {"opinions": 1, "reopened": opinion == Opinion.NOT_SATISFIED}


def report_fault(sim: Sim) -> dict:
    if sim.rng.random() >= FAULTS_A_DAY * sim.scale:
        return {}
    severity = FaultSeverity.MAJOR if sim.rng.random() < 0.4 else FaultSeverity.MINOR
    reporter = sim.rng.choice(sim.staff_codes(Department.TS))
    result = faults.report_fault(
        sim.uow(),
        faults.FaultReport(
            _pick(sim, Project, Project.code),
            sim.now - timedelta(minutes=20),
            "机房（模拟）",
            "网站无法访问（模拟）",
            "重启服务",
            severity,
            reporter,
        ),
        FaultEnv.from_settings(),
        sim.now,
    )
    fault_id = result.fault_id
    if severity == FaultSeverity.MAJOR:  # filed within 10-90 min: some after the reminder
        sim.later(
            timedelta(minutes=sim.rng.randint(10, 90)),
            "people: faults",
            lambda s: _fault_step(s, "file", fault_id),
        )
    sim.later(
        timedelta(hours=sim.rng.randint(2, 8)),
        "people: faults",
        lambda s: _fault_step(s, "resolve", fault_id),
    )
    return {"reported": 1, "major": severity == FaultSeverity.MAJOR}


def _fault_step(sim: Sim, step: str, fault_id: int) -> dict:
    env = FaultEnv.from_settings()
    if step == "file":
        faults.file_fault(sim.uow(), fault_id, "BIZ001", env, sim.now)
        return {"filed": 1}
    if step == "resolve":
        faults.resolve_fault(
            sim.uow(), fault_id, "已恢复（模拟）", "TS001", env, sim.now, unfiled_reason=None
        )
        sim.later(
            timedelta(hours=sim.rng.randint(20, 100)),
            "people: faults",
            lambda s: _fault_step(s, "analyse", fault_id),
        )
        return {"resolved": 1}
    faults.submit_analysis(
        sim.uow(),
        fault_id,
        faults.AnalysisInput("访问中断", "重启", "配置错误", "修正配置", "加强巡检", "TS001"),
        env,
        sim.now,
    )
    return {"analysed": 1}
