"""R4 weekly report tasks: each one unit of work in careops.services, plus its artifact.

The clock is read through `careops.clock` (module attribute), so tests freeze it in one place.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date

from prefect import task

from careops import clock, wakeups
from careops.bootstrap import get_calendar
from careops.db.uow import UnitOfWork
from careops.rules import weekly as rules
from careops.rules.weekly import IsoWeek
from careops.services.weekly import steps
from careops.services.weekly import submissions as service
from careops.services.weekly.meetings import WeeklyEnv, meeting_date
from careops.settings import get_settings
from tasks.artifacts import artifact_key, publish_markdown
from tasks.callbacks import RETRIES  # retries, but never of bad input (a CareopsError)

SUBMIT_DEPLOYMENT = "submit-weekly-report/submit-weekly-report"
STEP_DEPLOYMENTS = {"nudge": "weekly-nudge/weekly-nudge",
                    "compile": "weekly-compile/weekly-compile"}
log = logging.getLogger(__name__)


def today() -> date:
    return clock.local_today(get_settings().tz, clock.utcnow)


def meeting_today() -> tuple[IsoWeek, date] | None:
    """(week, meeting day) when today is a meeting day, else None — no database, no task."""
    day = today()
    week = IsoWeek.of(day)
    meeting = rules.meeting_day(week, get_calendar().is_working_day)
    return (week, meeting) if meeting == day else None


def no_meeting_message() -> str:
    day = today()
    following = rules.next_meeting(day, get_calendar().is_working_day)
    after = f"; next meeting {following.isoformat()}" if following else ""
    return f"no meeting today ({day.isoformat()}){after}"


def submit_form_url() -> str | None:
    """The Prefect UI's run form of submit-weekly-report (None if it is not deployed)."""
    from prefect.client.orchestration import get_client

    settings = get_settings()
    try:
        with get_client(sync_client=True) as client:
            found = client.read_deployment_by_name(SUBMIT_DEPLOYMENT)
    except Exception as exc:  # not deployed (tests, ad-hoc runs): the deployments page
        log.info("no %s deployment for the reminder link: %s", SUBMIT_DEPLOYMENT, exc)
        return None
    return f"{settings.base_url.rstrip('/')}/deployments/deployment/{found.id}/run"


def env(with_form_link: bool = False) -> WeeklyEnv:
    url = submit_form_url() if with_form_link else None
    return WeeklyEnv.from_settings(ui_form_url=url)


@task(name="weekly-reminders", **RETRIES)
def send_reminders_task(week: str) -> dict:
    return asdict(steps.send_reminders(UnitOfWork(), env(True), IsoWeek.parse(week),
                                       clock.utcnow()))


def schedule_steps(week: str, *, api: str | None = None) -> dict[str, str | None]:
    """Exact-time runs of weekly-nudge and weekly-compile at the meeting day's configured times
    (idempotent per deployment and minute); the run id per step, None where it failed."""
    e, now = env(), clock.utcnow()
    parsed = IsoWeek.parse(week)
    plan = rules.schedule(parsed, meeting_date(parsed, e), e.times, e.tz)
    times = {"nudge": plan.nudge_at, "compile": plan.compile_at}
    return {step: wakeups.schedule_wakeup(STEP_DEPLOYMENTS[step], times[step], now,
                                          reason=f"R4 {step} of {week}", api=api)
            for step in STEP_DEPLOYMENTS}


@task(name="schedule-weekly-steps", retries=1, retry_delay_seconds=5)
def schedule_steps_task(week: str) -> dict[str, str | None]:
    """Schedule today's nudge and compile; fail (so ops hear of it) when the compile cannot be."""
    scheduled = schedule_steps(week)
    if scheduled["compile"] is None:
        raise RuntimeError(
            f"the {week} compile could not be scheduled on the Prefect server: run the "
            "weekly-compile deployment or `careops weekly compile` by the compile time"
        )
    return scheduled


@task(name="weekly-catch-up")
def overdue_weeks_task() -> list[str]:
    """Meetings before today that were reminded but never compiled (a lost compile run)."""
    return steps.overdue_meetings(UnitOfWork(), today())


@task(name="weekly-nudges", **RETRIES)
def send_nudges_task(week: str) -> dict:
    return asdict(steps.send_nudges(UnitOfWork(), env(True), IsoWeek.parse(week),
                                    clock.utcnow()))


@task(name="weekly-compile", **RETRIES)
def compile_report_task(week: str) -> dict:
    return asdict(steps.compile_report(UnitOfWork(), env(), IsoWeek.parse(week),
                                       clock.utcnow()))


# No retries: bad input (a CareopsError) will not get better, and the same text again is a no-op.
@task(name="submit-weekly-report")
def submit_task(data: service.SubmissionInput) -> dict:
    return asdict(service.submit(UnitOfWork(), env(), data, clock.utcnow()))


@task(name="publish-weekly-report")
def publish_report_task(week: str) -> str:
    """The report (as compiled, plus late submissions) as the markdown artifact weekly-<week>."""
    markdown = steps.show_report(UnitOfWork(), env(), IsoWeek.parse(week))
    publish_markdown(artifact_key("weekly", week), markdown, f"Weekly report {week}")
    return markdown


def resolve_week(week: str | None) -> str | None:
    """The week a step acts on: the given one, or today's when today is its meeting day."""
    if week:
        return str(IsoWeek.parse(week))
    found = meeting_today()
    return str(found[0]) if found else None


def no_meeting_state():
    """The final state of a scheduled run on a non-meeting day: cheap, and named so in the UI."""
    from prefect.states import Completed

    message = no_meeting_message()
    return Completed(name="No meeting", message=message, data={"skipped": message})


@task(name="publish-weekly-step")
def publish_step_task(result: dict) -> None:
    """A short markdown artifact of a reminder / nudge run: who got the mail."""
    who = ", ".join(result["queued"]) or "nobody new"
    note = result["skipped"] or ("already done by an earlier run" if result["already"] else "")
    publish_markdown(
        artifact_key("weekly", result["week"], result["step"]),
        f"# Weekly {result['step']} {result['week']} (meeting {result['meeting_date']})\n\n"
        f"- mailed: {who}\n" + (f"- note: {note}\n" if note else ""),
        f"Weekly {result['step']} {result['week']}",
    )
