"""What each scheduled deployment's flow does, through the service functions its tasks call,
with the clock frozen at the fire time. Artifacts and run logs are left out (Prefect's only);
the mail every flow delivers at its end is delivered after every step (the runner)."""

from __future__ import annotations

from datetime import date, timedelta

from careops.bootstrap import get_calendar, get_mailer
from careops.errors import NotFound
from careops.months import Month
from careops.rules import weekly as weekly_rules
from careops.rules.survey import campaign_year
from careops.rules.weekly import IsoWeek
from careops.services.callbacks.months import close_month, scheduled_month
from careops.services.callbacks.planning import plan_month, queue_call_lists
from careops.services.cases.archive import purge_cases
from careops.services.cases.deadlines import next_notice_at, sweep_deadlines
from careops.services.cases.notices import CaseEnv
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import next_timer_due
from careops.services.faults.watch import watch_faults
from careops.services.operations.outbox_delivery import deliver_outbox
from careops.services.supervision.report import build_report, queue_report_mails
from careops.services.survey.campaign import build_campaign, get_campaign
from careops.services.survey.invitations import invite, remind
from careops.services.survey.links import survey_links
from careops.services.survey.reports import queue_digest, queue_gift_list, queue_summary
from careops.services.weekly import steps as weekly_steps
from careops.services.weekly.meetings import WeeklyEnv, meeting_date
from careops.simulation.core import Sim
from careops.simulation.watch import holiday_watch

CASE_WAKEUP_AHEAD = timedelta(hours=36)  # tasks/cases.py SCHEDULE_AHEAD


def deliver(sim: Sim) -> dict:
    summary = deliver_outbox(sim.uow(), sim.settings, get_mailer(), now=sim.clock)
    return {"mails sent": summary.report.sent, "mails failed": summary.report.failed}


def plan_callbacks(sim: Sim) -> dict:
    month, skipped = scheduled_month(sim.uow(), sim.today, get_calendar(), sim.tz)
    if skipped:
        return {"idle": 1}
    planned = plan_month(sim.uow(), month, get_calendar(), sim.now, sim.tz)
    lists, _ = queue_call_lists(sim.uow(), month, get_mailer(), sim.now, sim.tz)
    return {
        "months planned": 1,
        "callbacks planned": planned.created,
        "cancelled": planned.cancelled,
        "call lists": lists,
    }


def _close(sim: Sim, month: Month) -> dict:
    s = sim.settings
    summary = close_month(
        sim.uow(),
        month,
        get_mailer(),
        today=sim.today,
        fallback_head_email=s.cs_head_email,
        now=sim.now,
    )
    return {
        "months closed": 1,
        "planned": summary.planned,
        "done": summary.done,
        "missed": summary.newly_missed,
    }


def close_callback_month(sim: Sim) -> dict:
    return _close(sim, Month.of(sim.today).previous())


def monthly_report(sim: Sim) -> dict:
    s = sim.settings
    month = Month.of(sim.today).previous()
    _close(sim, month)  # idempotent: closes a month whose close run failed
    build_report(sim.uow(), month, sim.tz, sim.now, s.default_locale)
    to = queue_report_mails(
        sim.uow(),
        month,
        sim.tz,
        sim.now,
        get_mailer(),
        font_file=s.path(s.charts.font_file),
        gm_email=s.gm_email,
        biz_head_email=s.biz_head_email,
        cs_head_email=s.cs_head_email,
        default_locale=s.default_locale,
    )
    return {"reports": 1, "mailed to": to}


def _weekly_env() -> WeeklyEnv:
    return WeeklyEnv.from_settings()


def meeting_week(sim: Sim) -> IsoWeek | None:
    week = IsoWeek.of(sim.today)
    day = weekly_rules.meeting_day(week, get_calendar().is_working_day)
    return week if day == sim.today else None


def weekly_reminder(sim: Sim) -> dict:
    env = _weekly_env()
    caught_up = weekly_steps.overdue_meetings(sim.uow(), sim.today)
    for late in caught_up:
        weekly_steps.compile_report(sim.uow(), env, IsoWeek.parse(late), sim.now)
    week = meeting_week(sim)
    if week is None:
        return {"idle": 1, "caught up": caught_up}
    plan = weekly_rules.schedule(week, meeting_date(week, env), env.times, env.tz)
    sim.agenda.at(plan.nudge_at, "weekly-nudge", weekly_nudge)
    sim.agenda.at(plan.compile_at, "weekly-compile", weekly_compile)
    result = weekly_steps.send_reminders(sim.uow(), env, week, sim.now)
    return {"meetings": 1, "reminders": result.queued, "caught up": caught_up}


def weekly_nudge(sim: Sim) -> dict:
    week = meeting_week(sim)
    if week is None:
        return {"idle": 1}
    return {"nudges": weekly_steps.send_nudges(sim.uow(), _weekly_env(), week, sim.now).queued}


def weekly_compile(sim: Sim) -> dict:
    week = meeting_week(sim)
    if week is None:
        return {"idle": 1}
    weekly_steps.compile_report(sim.uow(), _weekly_env(), week, sim.now)
    return {"compiled": 1}


def fault_watch(sim: Sim) -> dict:
    watched = watch_faults(sim.uow(), FaultEnv.from_settings(), sim.now)
    due = next_timer_due(sim.uow())
    if due is not None and due > sim.now:
        sim.agenda.at(due, "fault-watch", fault_watch)
    return {"chases": watched.chased, "deadlines set": watched.deadlines}


def case_deadlines(sim: Sim) -> dict:
    swept = sweep_deadlines(sim.uow(), CaseEnv.from_settings(), sim.now)
    uow = sim.uow()
    with uow:
        upcoming = next_notice_at(uow.session, sim.now)
    if upcoming is not None and upcoming - sim.now <= CASE_WAKEUP_AHEAD:
        sim.agenda.at(upcoming, "case-deadlines", case_deadlines)
    return {
        "warned": swept.warned,
        "breached": swept.breached,
        "closed": swept.closed,
        "deadlines set": swept.deadlines,
    }


def purge(sim: Sim) -> dict:
    result = purge_cases(sim.uow(), CaseEnv.from_settings(), sim.now)
    return {"purged": result.purged}


def december_campaign(sim: Sim) -> dict:
    today = sim.today
    if today != get_calendar().first_working_day(today.year, 12):
        return {"idle": 1}
    built = build_campaign(sim.uow(), today.year, today, sim.settings.survey, sim.now)
    queue_gift_list(sim.uow(), built, get_mailer(), sim.settings, sim.now)
    invited = invite(sim.uow(), today.year, get_mailer(), survey_links(), today, sim.now)
    return {"campaigns": 1, "members": built.members, "invitations": invited.queued}


def survey_reminders(sim: Sim) -> dict:
    days = sim.settings.survey.reminder_days
    result = remind(
        sim.uow(), campaign_year(sim.today), get_mailer(), survey_links(), sim.today, days, sim.now
    )
    return {"reminders": result.queued}


def _campaign_closes(sim: Sim, year: int) -> date | None:
    uow = sim.uow()
    try:
        with uow:
            return get_campaign(uow.session, year).closes_on
    except NotFound:
        return None


def survey_digest(sim: Sim) -> dict:
    year = campaign_year(sim.today)
    closes = _campaign_closes(sim, year)
    if closes is None or sim.today > closes + timedelta(days=7):
        return {"idle": 1}
    queue_digest(sim.uow(), year, sim.today, get_mailer(), sim.settings, sim.now)
    return {"digests": 1}


def needs_summary(sim: Sim) -> dict:
    year = campaign_year(sim.today)
    if _campaign_closes(sim, year) is None:
        return {"no campaign": 1}  # the flow fails: a world that starts in the year has none
    queue_summary(sim.uow(), year, get_mailer(), sim.settings, sim.now)
    return {"summaries": 1}


# deployment name -> step; schedule.check_coverage holds these against prefect.yaml
STEPS = {
    "plan-callbacks": plan_callbacks,
    "close-callback-month": close_callback_month,
    "weekly-reminder": weekly_reminder,
    "deliver-outbox": deliver,
    "fault-watch": fault_watch,
    "case-deadlines": case_deadlines,
    "purge-cases": purge,
    "monthly-report": monthly_report,
    "december-campaign": december_campaign,
    "survey-reminders": survey_reminders,
    "survey-digest": survey_digest,
    "needs-summary": needs_summary,
    "holiday-watch": holiday_watch,
}
