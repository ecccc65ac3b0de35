"""resolve-fault — record that a fault ended and how (R5).

Asks the TS supervisor for the fault analysis report, due 24:00 of the 2nd working day (China
calendar, configurable) after the day the fault ended (`ended_at`, default now); fault-watch
then reminds and escalates an overdue analysis to the manager. A major fault not filed yet is
refused unless `unfiled_reason` says why. A deadline that needs a calendar year not published
yet never stops the resolution: it is stored as pending, ops are mailed once, the TS supervisor
is asked at once, and fault-watch sets the deadline when config/calendar/YYYY.toml is there.
Requires a migrated careops database and the SMTP server.
"""

from __future__ import annotations

from prefect import flow
from pydantic import AwareDatetime, BaseModel, Field

from tasks.faults import publish_timelines_task, resolve_fault_task, schedule_fault_watch_task
from tasks.mail import deliver_outbox_task


class ResolveFaultParams(BaseModel):
    fault_id: int = Field(ge=1, description="The fault number")
    resolution: str = Field(min_length=1, max_length=4000, description="How it was ended")
    by: str = Field(min_length=1, max_length=100, description="Who records it")
    ended_at: AwareDatetime | None = Field(None, description="When it ended (default: now)")
    unfiled_reason: str | None = Field(
        None, max_length=2000, description="Only to resolve a major fault that was never filed")


@flow(name="resolve-fault", log_prints=True)
def resolve_fault(params: ResolveFaultParams) -> dict:
    result = resolve_fault_task(params.fault_id, params.resolution, params.by, params.ended_at,
                                params.unfiled_reason)
    delivery = deliver_outbox_task()
    schedule_fault_watch_task()
    publish_timelines_task([params.fault_id])
    return result | {"delivery": delivery}
