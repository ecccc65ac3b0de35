"""submit-weekly-report — R4: a TS person hands in the week's report (a form in the Prefect UI).

Staff code, service situation, customer feedback and problems needing help (optional); the week
defaults to the current one. Submitting again before the compile replaces the text (every
version is kept); after the compile it is accepted, marked late and mailed as an addendum to the
report's recipients. Refused with the reason: unknown staff code, someone outside TS or inactive,
a week without meeting or in an unpublished calendar year, an empty or over-long text. The CLI
twin is `careops weekly submit`. Requires a migrated careops database and SMTP.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from careops.rules.weekly import MAX_TEXT_CHARS
from careops.services.weekly.submissions import SubmissionInput
from flows.weekly_reminder import WEEK_PATTERN
from tasks.mail import deliver_outbox_task
from tasks.weekly import publish_report_task, submit_task


class WeeklyReportForm(BaseModel):
    staff_code: str = Field(min_length=1, max_length=40, title="工号 Staff code",
                            description="Your staff code, e.g. TS001")
    service_situation: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                                   title="客户服务情况 Service situation",
                                   description="This week's customer-service situation")
    customer_feedback: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                                   title="客户反馈意见 Customer feedback",
                                   description="Customer feedback heard this week")
    problems_needing_help: str = Field("", max_length=MAX_TEXT_CHARS,
                                       title="需要协调解决的问题 Problems needing help",
                                       description="Problems you need help with (optional)")
    week: str | None = Field(None, pattern=WEEK_PATTERN, title="周次 Week",
                             description="ISO week like 2026-W48; empty: this week")

    def to_input(self) -> SubmissionInput:
        return SubmissionInput(self.staff_code, self.service_situation, self.customer_feedback,
                               self.problems_needing_help, self.week, channel="ui")


@flow(name="submit-weekly-report", log_prints=True)
def submit_weekly_report(form: WeeklyReportForm) -> dict:
    result = submit_task(form.to_input())
    delivery = deliver_outbox_task()
    if result["late"]:
        publish_report_task(result["week"])  # the artifact shows the late addition too
    return result | {"delivery": delivery}
