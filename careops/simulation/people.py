"""What people do between the scheduled runs, by seeded chance: CS records callbacks (reached,
not reached, declined; some never called, so months close with missed ones), TS staff hand in
weekly reports (most on time, some after the nudge, some late, some away), customers open
cases (some handled late) and answer the survey, faults are reported and worked through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import select

from careops.bootstrap import get_calendar
from careops.db.models import (
    Callback,
    CallbackOutcome,
    CallbackStatus,
    Customer,
    Department,
    Project,
    Staff,
    StaffRole,
)
from careops.db.survey_models import CampaignMember, SurveyAnswer, SurveyCampaign
from careops.rules.cases import CaseKind, Channel, Opinion
from careops.rules.faults import FaultSeverity
from careops.rules.weekly import IsoWeek
from careops.services import cases, faults, weekly
from careops.services.callbacks import OutcomeInput, record_outcome
from careops.services.case_notices import CaseEnv
from careops.services.fault_notices import FaultEnv
from careops.services.survey_answers import AnswerInput, save_answer
from careops.simulation.core import Sim

CALLS_A_DAY = 0.3  # share of the month's due, open callbacks CS calls on a working day
CASES_A_DAY = 0.25  # per working day for the demo's 200 customers
FAULTS_A_DAY = 0.04
ANSWERS_A_DAY = 0.07  # share of invited members still without an answer


def _staff(sim: Sim, department: Department, role: StaffRole | None = None) -> list[str]:
    query = select(Staff.code).where(Staff.department == department, Staff.active.is_(True))
    if role is not None:
        query = query.where(Staff.role == role)
    uow = sim.uow()
    with uow:
        return list(uow.session.scalars(query.order_by(Staff.code)))


def _later(sim: Sim, delta: timedelta, name: str, act: Callable[[Sim], dict | None]) -> None:
    sim.agenda.at(sim.now + delta, name, act, unique=False)


def day_plan(sim: Sim, day) -> list[tuple[datetime, str, Callable[[Sim], dict | None]]]:
    """The day's people steps at their local times."""
    at = lambda h, m: datetime.combine(day, time(h, m), tzinfo=sim.tz)  # noqa: E731
    plan = [(at(12, 0), "people: survey answers", survey_answers)]
    if get_calendar().is_working_day(day):
        plan += [
            (at(9, 10), "people: away", away),
            (at(10, 0), "people: cases", open_cases),
            (at(10, 30), "people: callbacks", calls),
            (at(11, 0), "people: weekly", submit),
            (at(13, 30), "people: weekly", submit),
            (at(16, 0), "people: weekly", submit),
            (at(11, 15), "people: faults", report_fault),
        ]
    return plan


def calls(sim: Sim) -> dict:
    uow = sim.uow()
    with uow:
        due = uow.session.execute(
            select(Callback.id, Staff.code)
            .join(Staff, Staff.id == Callback.assignee_id, isouter=True)
            .where(
                Callback.status == CallbackStatus.OPEN,
                Callback.month == f"{sim.today:%Y-%m}",
                Callback.due_date <= sim.today,
            )
            .order_by(Callback.id)
        ).all()
    made = {"reached": 0, "not reached": 0, "declined": 0}
    for callback_id, code in due:
        if sim.rng.random() >= CALLS_A_DAY:
            continue
        draw = sim.rng.random()
        outcome = (
            CallbackOutcome.REACHED
            if draw < 0.7
            else CallbackOutcome.NOT_REACHED
            if draw < 0.9
            else CallbackOutcome.DECLINED
        )
        score = sim.rng.choice((3, 4, 4, 5, 5)) if outcome == CallbackOutcome.REACHED else None
        record_outcome(
            sim.uow(),
            callback_id,
            OutcomeInput(outcome, score, recorded_by=code),
            sim.now,
            tz=sim.tz,
            key=f"sim:{callback_id}:{sim.now:%Y%m%d}",
        )
        made[outcome.value.replace("_", " ")] += 1
    return made


def away(sim: Sim) -> dict:
    if sim.today.weekday() != 0:
        return {}
    week, marked = str(IsoWeek.of(sim.today)), []
    for code in _staff(sim, Department.TS):
        if sim.rng.random() < 0.05:
            weekly.mark_away(
                sim.uow(),
                weekly.WeeklyEnv.from_settings(),
                code,
                week,
                sim.now,
                reason="leave (simulated)",
            )
            marked.append(code)
    sim.state["away"] = {week: set(marked)}
    return {"marked away": marked}


def submit(sim: Sim) -> dict:
    """Meeting day: 70% before the nudge, half the rest before the compile, some after."""
    from careops.calendar import UnknownCalendarYear
    from careops.simulation.processes import meeting_week

    try:
        week = meeting_week(sim)
    except UnknownCalendarYear:  # nobody knows the meeting day: weekly-reminder says so
        return {}
    if week is None:
        return {}
    hour = sim.now.astimezone(sim.tz).hour
    share = {11: 0.7, 13: 0.5, 16: 0.4}[hour]
    done = sim.state.setdefault("submitted", {}).setdefault(str(week), set())
    away_now = sim.state.get("away", {}).get(str(week), set())
    env, handed = weekly.WeeklyEnv.from_settings(), {"on time": 0, "late": 0}
    for code in _staff(sim, Department.TS):
        if code in done or code in away_now or sim.rng.random() >= share:
            continue
        result = weekly.submit(
            sim.uow(),
            env,
            weekly.SubmissionInput(code, f"{week} 项目运行平稳", "客户反馈良好", week=str(week)),
            sim.now,
        )
        done.add(code)
        handed["late" if result.late else "on time"] += 1
    return handed


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
    owner = sim.rng.choice(_staff(sim, Department.CS))
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
        _later(
            sim,
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
    reporter = sim.rng.choice(_staff(sim, Department.TS))
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
        _later(
            sim,
            timedelta(minutes=sim.rng.randint(10, 90)),
            "people: faults",
            lambda s: _fault_step(s, "file", fault_id),
        )
    _later(
        sim,
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
        _later(
            sim,
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


def survey_answers(sim: Sim) -> dict:
    uow = sim.uow()
    with uow:
        open_members = list(
            uow.session.scalars(
                select(CampaignMember.id)
                .join(SurveyCampaign)
                .outerjoin(SurveyAnswer)
                .where(
                    CampaignMember.invited_at.is_not(None),
                    SurveyAnswer.id.is_(None),
                    SurveyCampaign.closes_on >= sim.today,
                )
                .order_by(CampaignMember.id)
            )
        )
    answered = 0
    for member_id in open_members:
        if sim.rng.random() < ANSWERS_A_DAY:
            needs = sim.rng.sample(["website", "app", "mini_program"], sim.rng.randint(1, 2))
            save_answer(
                sim.uow(),
                member_id,
                AnswerInput(needs=needs, budget="lt50k", timing="q1"),
                sim.today,
                sim.now,
            )
            answered += 1
    return {"answers": answered}
