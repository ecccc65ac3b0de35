"""update-fault — add a progress note to an open fault; the responsible manager is told (R5).

Requires a migrated careops database and the SMTP server. Refused for a closed fault.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.faults import publish_timelines_task, update_fault_task
from tasks.mail import deliver_outbox_task


class UpdateFaultParams(BaseModel):
    fault_id: int = Field(ge=1, description="The fault number")
    note: str = Field(min_length=1, max_length=4000, description="Progress of the handling")
    by: str = Field(min_length=1, max_length=100, description="Who writes the note")


@flow(name="update-fault", log_prints=True)
def update_fault(params: UpdateFaultParams) -> dict:
    result = update_fault_task(params.fault_id, params.note, params.by)
    delivery = deliver_outbox_task()
    publish_timelines_task([params.fault_id])
    return result | {"delivery": delivery}
