"""weekly-nudge — R4: one late nudge on the meeting day to those who have not submitted.

Active TS staff not marked away and without a submission for the week get one mail before the
compile. Not scheduled itself: the meeting day's weekly-reminder run schedules one run at the
nudge time ([weekly] nudge_at); without `week` a run acts only on the meeting day (otherwise it
ends at once in the state "No meeting"); after the compile it sends nothing. Requires a migrated
careops database and SMTP. Safe to re-run or run twice at once.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from flows.weekly_reminder import WEEK_PATTERN
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.weekly import no_meeting_state, publish_step_task, resolve_week, send_nudges_task


class WeeklyNudgeParams(BaseModel):
    week: str | None = Field(None, pattern=WEEK_PATTERN,
                             description="ISO week like 2026-W48; empty: today's meeting")


@flow(name="weekly-nudge", log_prints=True, **FAILURE_HOOKS)
def weekly_nudge(params: WeeklyNudgeParams | None = None):
    week = resolve_week((params or WeeklyNudgeParams()).week)
    if week is None:
        return no_meeting_state()
    result = send_nudges_task(week)
    delivery = deliver_outbox_task()
    publish_step_task(result)
    return result | {"delivery": delivery}
