"""weekly-compile — R4: compile the week's reports before the meeting and mail them.

The TS head / supervisor, the TS members and the CS head get one report: every submission, who
is missing (people marked away are not), the department's week in figures and the submission
rate of the last 8 meetings as a chart (inline PNG). The same report is the markdown artifact
`weekly-<week>` (and `careops weekly show`). A submission after the compile is accepted, marked
late and mailed as an addendum. Not scheduled itself: the meeting day's weekly-reminder run
schedules one run at the compile time ([weekly] compile_at), and the next weekly-reminder run
catches up a compile that was lost; without `week` a run acts only on the meeting day (otherwise
it ends at once in the state "No meeting"). Requires a
migrated careops database, SMTP and the chart font (scripts/install.sh). Safe to re-run or run
twice at once: the report is compiled and mailed once per meeting.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from flows.weekly_reminder import WEEK_PATTERN
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.weekly import compile_report_task, no_meeting_state, publish_report_task, resolve_week


class WeeklyCompileParams(BaseModel):
    week: str | None = Field(None, pattern=WEEK_PATTERN,
                             description="ISO week like 2026-W48; empty: today's meeting")


@flow(name="weekly-compile", log_prints=True, **FAILURE_HOOKS)
def weekly_compile(params: WeeklyCompileParams | None = None):
    week = resolve_week((params or WeeklyCompileParams()).week)
    if week is None:
        return no_meeting_state()
    result = compile_report_task(week)
    delivery = deliver_outbox_task()
    publish_report_task(week)
    return result | {"delivery": delivery}
