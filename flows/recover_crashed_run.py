"""recover-crashed-run — after a run crashed: a scheduled run is retried once, ops mailed once.

Started by the automation "careops: recover crashed runs" for every Crashed flow run (the
stack creates it, careops/stack/automations.py); the crash itself is recorded by the worker
(its flow-run process died) or, when the worker died too, by the heartbeat automation. See
careops/crash_recovery.py for what is retried. Safe to run twice for the same run. Requires
the Prefect API, a migrated careops database and SMTP.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.mail import deliver_outbox_task
from tasks.recovery import recover_task


class RecoverCrashedRunParams(BaseModel):
    flow_run: str = Field(
        min_length=1,
        max_length=80,
        description="The crashed flow run: its id (or prefect.flow-run.<id>)",
    )


@flow(name="recover-crashed-run", log_prints=True)
def recover_crashed_run(params: RecoverCrashedRunParams) -> dict:
    result = recover_task(params.flow_run)
    return result | {"delivery": deliver_outbox_task()}
