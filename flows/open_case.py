"""open-case — take a complaint, consultation or suggestion (R6).

A form in the Prefect UI (or `careops case open`). The person who takes it (`taken_by`, a staff
code) owns it until an explicit handover. The deadline follows the Civil Code counting on the
China calendar: consultation 24 h, complaint 24:00 of the 3rd working day after receipt (7th if
special), suggestion the promised reply date (default 5 working days). A suggestion is reported
to leadership at once. The same intake again (or a retry) is the same case. The case-deadlines
run for its first notice is scheduled at that exact time. Requires a migrated careops database
and SMTP; bad input (unknown customer/project/staff, special on a non-complaint, text over
20,000 characters, a future time) fails the run with the reason. A deadline needing an
unpublished calendar year does not: the case is stored with its deadline pending, the run logs a
warning, ops are mailed, and case-deadlines sets the deadline once the calendar file exists.
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from pydantic import AwareDatetime, BaseModel, Field

from careops.rules.cases import MAX_TEXT, CaseKind, Channel
from careops.services.cases.steps import CaseIntake
from tasks.cases import (
    next_notice_task,
    open_case_from_callback_task,
    open_case_task,
    publish_cases_task,
    schedule_sweep_task,
)
from tasks.mail import deliver_outbox_task


class OpenCaseParams(BaseModel):
    kind: CaseKind = Field(description="consultation / suggestion / complaint")
    taken_by: str = Field(min_length=1, max_length=100,
                          description="Staff code of who took it: the owner")
    customer_code: str | None = Field(None, max_length=40, description="Customer code")
    project_code: str | None = Field(None, max_length=40, description="Or the project code")
    channel: Channel = Field(Channel.PHONE, description="How it came in")
    text: str = Field("", max_length=MAX_TEXT, description="What the customer said")
    received_at: AwareDatetime | None = Field(None, description="Default: now")
    special: bool = Field(False, description="Complaints only: a special case (7 working days)")
    special_reason: str | None = Field(None, max_length=2000, description="Why it is special")
    promised_on: date | None = Field(None, description="Suggestions: reply date promised")
    important: bool = Field(False, description="Keep longer in the archive")
    from_callback_id: int | None = Field(
        None, description="Open from this recorded callback's issues raised (text optional)")
    intake_key: str | None = Field(None, max_length=80, description="Optional: your own id")


@flow(name="open-case", log_prints=True)
def open_case(params: OpenCaseParams) -> dict:
    if params.from_callback_id is not None:
        result = open_case_from_callback_task(params.from_callback_id, str(params.kind),
                                              params.taken_by)
    else:
        result = open_case_task(CaseIntake(
            kind=params.kind, text=params.text, taken_by=params.taken_by,
            customer_code=params.customer_code, project_code=params.project_code,
            channel=params.channel, received_at=params.received_at, special=params.special,
            special_reason=params.special_reason, promised_on=params.promised_on,
            important=params.important, intake_key=params.intake_key))
    delivery = deliver_outbox_task()
    publish_cases_task([result["case_id"]])
    schedule_sweep_task(next_notice_task())
    return result | {"delivery": delivery}
