"""survey-reminders — R2: remind the contacts who have not answered the needs survey.

At most two reminders (`[survey] reminder_days`, December days); on and after each, every
invited contact without an answer gets that reminder once; nothing after the survey closes.
Scheduled 10:00 on the reminder days (prefect.yaml's cron must list the same days; a test
checks it); a missed day is caught up by the next run. Run by hand with `year` any time: it
sends only what is due and not yet sent. Requires a built campaign.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from careops.clock import local_today
from careops.rules.survey import campaign_year
from careops.settings import get_settings
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.survey import remind_task


class SurveyRemindersParams(BaseModel):
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="Campaign year. Empty: the current campaign.")


@flow(name="survey-reminders", log_prints=True, **FAILURE_HOOKS)
def survey_reminders(params: SurveyRemindersParams | None = None) -> dict:
    params = params or SurveyRemindersParams()
    year = params.year or campaign_year(local_today(get_settings().tz))
    result = remind_task(year)
    get_run_logger().info("survey %s reminder round %s: %d queued %s", year, result["round"],
                          result["queued"], result["skipped"])
    if result["queued"]:
        result["delivery"] = deliver_outbox_task()
    return result


if __name__ == "__main__":
    survey_reminders()
