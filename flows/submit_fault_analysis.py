"""submit-fault-analysis — the fault analysis report; sends it and closes the fault (R5).

Stores impact, handling, root cause, corrective and preventive actions and closes the fault. The
customer's contact gets the customer-facing report (the fault's times and the five sections, in
the customer's language; no timeline, chases or staff names); BIZ gets the full report with the
internal timeline. A customer without an e-mail address is flagged in the result (`warnings`),
the run log and BIZ's copy, never recorded as sent. Only for a resolved fault. Requires a
migrated careops database and the SMTP server.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from careops.services.faults.steps import AnalysisInput
from tasks.faults import publish_timelines_task, submit_analysis_task
from tasks.mail import deliver_outbox_task


class FaultAnalysisParams(BaseModel):
    fault_id: int = Field(ge=1, description="The fault number")
    impact: str = Field(min_length=1, max_length=8000, description="影响 Impact")
    handling: str = Field(min_length=1, max_length=8000, description="处理过程 Handling")
    root_cause: str = Field(min_length=1, max_length=8000, description="根本原因 Root cause")
    corrective_actions: str = Field(min_length=1, max_length=8000, description="纠正措施")
    preventive_actions: str = Field(min_length=1, max_length=8000, description="预防措施")
    author: str = Field(min_length=1, max_length=100, description="Who wrote it")


@flow(name="submit-fault-analysis", log_prints=True)
def submit_fault_analysis(params: FaultAnalysisParams) -> dict:
    data = AnalysisInput(params.impact, params.handling, params.root_cause,
                         params.corrective_actions, params.preventive_actions, params.author)
    result = submit_analysis_task(params.fault_id, data)
    delivery = deliver_outbox_task()
    publish_timelines_task([params.fault_id])
    return result | {"delivery": delivery}
