"""record-callback — record the outcome of one customer callback (R1).

Ops staff run it from the Prefect UI (the parameters render as a form) or via
`careops callbacks record`. Identify the callback by its number (on the call list) or by the
project code: that picks the project's open callback (+ month: the one of that month). Each
submission is one call attempt, kept in the callback's history: `not_reached` leaves the
callback open for another try, `reached` / `declined` are final (re-submitting the same final
outcome is harmless, a different one is refused with the reason). A callback of a closed month
is only recorded by its number, and flagged late; a cancelled one is refused. Requires a
migrated careops database. With `issues_are_complaint`, the issues raised open a complaint
case (R6) owned by the callback's assignee, received at the time of this record, linked to the
callback (once, whatever re-runs).
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from pydantic import BaseModel, Field, model_validator

from careops.db.models.callbacks import CallbackOutcome
from careops.errors import CareopsError
from careops.months import Month
from careops.services.callbacks.outcomes import OutcomeInput, check_outcome
from tasks.artifacts import publish_markdown
from tasks.callbacks import find_callback_task, record_outcome_task
from tasks.cases import open_case_from_callback_task


class CallbackRecord(BaseModel):
    callback_id: int | None = Field(None, description="The callback number from the call list")
    project_code: str | None = Field(None, description="Or the project code")
    month: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    outcome: CallbackOutcome = Field(description="reached / not_reached / declined")
    satisfaction: int | None = Field(None, ge=1, le=5, description="1 (poor) to 5 (excellent)")
    notes: str | None = Field(None, max_length=4000)
    issues_raised: str | None = Field(
        None, max_length=4000, description="Issues the customer raised"
    )
    recorded_by: str | None = Field(None, max_length=100, description="Who made the call")
    no_more_calls: bool = Field(False, description="The customer asked not to be called again")
    issues_are_complaint: bool = Field(
        False, description="The issues raised are a complaint: open its case (R6)")

    @model_validator(mode="after")
    def _identified(self) -> CallbackRecord:
        if self.callback_id is None and not self.project_code:
            raise ValueError("give the callback number or the project code")
        if self.issues_are_complaint and not (self.issues_raised or "").strip():
            raise ValueError("a complaint needs the issues raised: what the customer said")
        try:
            check_outcome(self.outcome, self.satisfaction)
        except CareopsError as exc:
            raise ValueError(str(exc)) from None
        return self


@flow(name="record-callback", log_prints=True)
def record_callback(record: CallbackRecord) -> dict:
    month = Month.parse(record.month) if record.month else None
    callback_id = record.callback_id or find_callback_task(record.project_code, month)
    data = OutcomeInput(
        outcome=record.outcome,
        satisfaction=record.satisfaction,
        notes=record.notes,
        issues_raised=record.issues_raised,
        recorded_by=record.recorded_by,
        no_more_calls=record.no_more_calls,
    )
    result = record_outcome_task(callback_id, data, key=f"flow-run:{flow_run.id}")
    if record.issues_are_complaint:
        case = open_case_from_callback_task(callback_id, "complaint", None)
        result["case_id"] = case["case_id"]
    for warning in result["warnings"] + ([result["late"]] if result["late"] else []):
        get_run_logger().warning(warning)
    publish_markdown(
        f"callback-{callback_id}",
        f"# Callback {callback_id}\n\n" + "\n".join(
            f"- **{k}**: {v}" for k, v in result.items() if v not in (None, [])
        ),
        "Recorded callback outcome",
    )
    return result
