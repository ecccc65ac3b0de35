"""What people do between the scheduled runs, by seeded chance: CS records callbacks (reached,
not reached, declined; some never called, so months close with missed ones), TS staff hand in
weekly reports (most on time, some after the nudge, some late, some away), customers answer
the survey; cases and faults are in incidents.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from sqlalchemy import select

from careops.bootstrap import get_calendar
from careops.db.models.callbacks import Callback, CallbackOutcome, CallbackStatus
from careops.db.models.common import Department, Staff
from careops.db.models.survey import CampaignMember, SurveyAnswer, SurveyCampaign
from careops.rules.weekly import IsoWeek
from careops.services.callbacks.outcomes import OutcomeInput, record_outcome
from careops.services.survey.answers import AnswerInput, save_answer
from careops.services.weekly import submissions as weekly
from careops.services.weekly.meetings import WeeklyEnv
from careops.simulation import incidents
from careops.simulation.core import Sim

CALLS_A_DAY = 0.3  # share of the month's due, open callbacks CS calls on a working day
ANSWERS_A_DAY = 0.07  # share of invited members still without an answer


def day_plan(sim: Sim, day) -> list[tuple[datetime, str, Callable[[Sim], dict | None]]]:
    """The day's people steps at their local times."""
    at = lambda h, m: datetime.combine(day, time(h, m), tzinfo=sim.tz)  # noqa: E731
    plan = [(at(12, 0), "people: survey answers", survey_answers)]
    if get_calendar().is_working_day(day):
        plan += [
            (at(9, 10), "people: away", away),
            (at(10, 0), "people: cases", incidents.open_cases),
            (at(10, 30), "people: callbacks", calls),
            (at(11, 0), "people: weekly", submit),
            (at(13, 30), "people: weekly", submit),
            (at(16, 0), "people: weekly", submit),
            (at(11, 15), "people: faults", incidents.report_fault),
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
    from careops.calendar import UnknownCalendarYear

    week, marked = str(IsoWeek.of(sim.today)), []
    for code in sim.staff_codes(Department.TS):
        if sim.rng.random() < 0.05:
            env = WeeklyEnv.from_settings()
            try:
                weekly.mark_away(sim.uow(), env, code, week, sim.now, reason="leave (simulated)")
            except UnknownCalendarYear:  # a week whose meeting day nobody knows yet
                continue
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
    env, handed = WeeklyEnv.from_settings(), {"on time": 0, "late": 0}
    for code in sim.staff_codes(Department.TS):
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
