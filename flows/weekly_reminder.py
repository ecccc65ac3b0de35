"""weekly-reminder — R4: the meeting day's morning reminder, with a draft of the week's facts.

Every active TS person not marked away gets a mail with the meeting's time, the compile time,
the week's facts of the projects they are the TS contact of (callbacks done / not reached /
missed, faults reported and resolved with their times) and how to submit (Prefect UI form,
CLI, later the web page). Scheduled 09:30 Monday to Friday (Asia/Shanghai); a scheduled run acts
only on the week's meeting day (Friday, else the last working day before it) and otherwise ends
at once in the state "No meeting". Give `week` to remind for a given week now. Requires a
migrated careops database and SMTP. Safe to re-run or run twice at once: one reminder per person.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.weekly import no_meeting_state, publish_step_task, resolve_week, send_reminders_task

WEEK_PATTERN = r"^\d{4}-W\d{2}$"


class WeeklyReminderParams(BaseModel):
    week: str | None = Field(None, pattern=WEEK_PATTERN,
                             description="ISO week like 2026-W48; empty: today's meeting")


@flow(name="weekly-reminder", log_prints=True, **FAILURE_HOOKS)
def weekly_reminder(params: WeeklyReminderParams | None = None):
    week = resolve_week((params or WeeklyReminderParams()).week)
    if week is None:
        return no_meeting_state()
    result = send_reminders_task(week)
    delivery = deliver_outbox_task()
    publish_step_task(result)
    return result | {"delivery": delivery}
