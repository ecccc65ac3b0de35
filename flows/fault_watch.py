"""fault-watch — the R5 timers: chase unfiled faults and missing analyses, each when due.

An unfiled major fault: a reminder to the manager after 30 minutes, then escalations to senior
leadership at the configured interval, up to the limit. A missing analysis: a reminder before the
deadline, then overdue escalations to the manager. An analysis deadline left pending because
its calendar year was not published is set as soon as config/calendar/YYYY.toml is there (the
analysis request and chases follow). The timers live in the database, so they
survive restarts; two runs at once send each chase once. Runs are exact-time wakeups scheduled
by the flows that set a timer (careops/wakeups.py: the next one is scheduled at the end of each
run), plus an hourly safety sweep in prefect.yaml. Publishes the `open-faults` table
artifact and a timeline artifact per chased fault. Requires a migrated careops database and SMTP.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel

from tasks.faults import (
    publish_open_faults_task,
    publish_timelines_task,
    schedule_fault_watch_task,
    watch_faults_task,
)
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


class FaultWatchParams(BaseModel):
    """No parameters: the sweep acts on every timer due now."""


@flow(name="fault-watch", log_prints=True, **FAILURE_HOOKS)
def fault_watch(params: FaultWatchParams | None = None) -> dict:
    watched = watch_faults_task()
    delivery = deliver_outbox_task()
    wakeup = schedule_fault_watch_task()
    publish_timelines_task(sorted({c["fault_id"] for c in watched["chased"]}
                                  | set(watched["deadlines"])))
    open_rows = publish_open_faults_task()
    return watched | {"open": len(open_rows), "delivery": delivery, "next_wakeup": wakeup}
