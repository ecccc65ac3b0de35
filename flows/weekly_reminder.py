"""weekly-reminder — R4: the meeting day's morning reminder; schedules the nudge and the compile.

Every active TS person not marked away gets a mail with the meeting's time, the compile time,
the week's facts of the projects they are the TS contact of (callbacks done / not reached /
missed, faults reported and resolved with their times) and how to submit (Prefect UI form,
CLI, later the web page). On the meeting day the run also schedules one exact-time run each of
weekly-nudge and weekly-compile at the configured times ([weekly] in config/careops.toml), so
they show under Upcoming; a compile that cannot be scheduled fails this run, so ops hear of it.

Scheduled 09:30 Monday to Friday (Asia/Shanghai) because cron cannot say "meeting day" (Friday,
else the last working day before it): on another day the run compiles any earlier meeting whose
compile was lost, and otherwise ends at once in the state "No meeting". Give `week` to remind
for a given week now. Requires a migrated careops database and SMTP. Safe to re-run or run twice
at once: one reminder per person, one nudge and one compile run per meeting.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.weekly import (
    compile_report_task,
    meeting_today,
    no_meeting_state,
    overdue_weeks_task,
    publish_report_task,
    publish_step_task,
    resolve_week,
    schedule_steps_task,
    send_reminders_task,
)

WEEK_PATTERN = r"^\d{4}-W\d{2}$"


class WeeklyReminderParams(BaseModel):
    week: str | None = Field(None, pattern=WEEK_PATTERN,
                             description="ISO week like 2026-W48; empty: today's meeting")


@flow(name="weekly-reminder", log_prints=True, **FAILURE_HOOKS)
def weekly_reminder(params: WeeklyReminderParams | None = None):
    given = (params or WeeklyReminderParams()).week
    week = resolve_week(given)
    caught_up = [] if given else overdue_weeks_task()
    for late in caught_up:
        compile_report_task(late)
        publish_report_task(late)
    if week is None:
        if not caught_up:
            return no_meeting_state()
        return {"caught_up": caught_up, "delivery": deliver_outbox_task()}
    today = meeting_today()
    scheduling = (schedule_steps_task(week, return_state=True)
                  if today and str(today[0]) == week else None)
    result = send_reminders_task(week)
    delivery = deliver_outbox_task()
    publish_step_task(result)
    if scheduling is not None:
        result["scheduled"] = scheduling.result()  # raises if the compile could not be
    return result | {"caught_up": caught_up, "delivery": delivery}
