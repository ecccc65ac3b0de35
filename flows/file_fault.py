"""file-fault — the responsible manager files (备案) a reported fault (R5).

Filing passes the fault to senior leadership (they get the notice) and stops the unfiled-fault
chase at once. Refused for a fault filed already or closed. Requires a migrated careops database
and the SMTP server.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.faults import file_fault_task, publish_timelines_task
from tasks.mail import deliver_outbox_task


class FileFaultParams(BaseModel):
    fault_id: int = Field(ge=1, description="The fault number from the notice")
    filed_by: str = Field(min_length=1, max_length=100, description="The manager filing it")
    comment: str | None = Field(None, max_length=4000, description="Optional comment")


@flow(name="file-fault", log_prints=True)
def file_fault(params: FileFaultParams) -> dict:
    result = file_fault_task(params.fault_id, params.filed_by, params.comment)
    delivery = deliver_outbox_task()
    publish_timelines_task([params.fault_id])
    return result | {"delivery": delivery}
