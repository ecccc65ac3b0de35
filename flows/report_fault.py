"""report-fault — whoever learns of a fault reports it (R5).

A form in the Prefect UI (or `careops fault report`). The report is validated (known project,
occurred-at not in the future, symptoms given) and stored once: the same report again, or a
retry, is the same fault. The notice goes at once, routed from the careops data: a major fault to
the salesperson who signed the project, the responsible manager, the project's TS contact and the
TS and CS departments (each: its head, else its supervisor, else its mailbox); a minor one to the
TS contact and TS only, never to leadership. Whoever could not be reached (no salesperson on the
project, an inactive manager, a department with nobody) is named in the notice, in the run's
result (`warnings`) and log. A major fault must then be filed (file-fault) or it is chased by
fault-watch. Requires a migrated careops database and the SMTP server.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow
from pydantic import AwareDatetime, BaseModel, Field

from careops.rules.faults import FaultSeverity
from careops.services.faults.steps import FaultReport
from tasks.faults import publish_timelines_task, report_fault_task, schedule_fault_watch_task
from tasks.mail import deliver_outbox_task


class FaultReportParams(BaseModel):
    project_code: str = Field(min_length=1, max_length=40, description="Project code, e.g. P-0001")
    occurred_at: AwareDatetime = Field(description="When the fault started (with timezone)")
    place: str = Field(min_length=1, max_length=300, description="Where: site, system, server")
    symptoms: str = Field(min_length=1, max_length=4000, description="What is wrong")
    handling_plan: str = Field(min_length=1, max_length=4000, description="What is being done")
    severity: FaultSeverity = Field(FaultSeverity.MAJOR, description="major or minor")
    reporter: str = Field(min_length=1, max_length=100, description="Who reports it")
    report_key: str | None = Field(None, max_length=80,
                                   description="Optional: your own id of this report")

    def to_report(self) -> FaultReport:
        occurred: datetime = self.occurred_at
        return FaultReport(self.project_code, occurred, self.place, self.symptoms,
                           self.handling_plan, self.severity, self.reporter, self.report_key)


@flow(name="report-fault", log_prints=True)
def report_fault(params: FaultReportParams) -> dict:
    result = report_fault_task(params.to_report())
    delivery = deliver_outbox_task()
    schedule_fault_watch_task()
    publish_timelines_task([result["fault_id"]])
    return result | {"delivery": delivery}
