"""R5 fault tasks: each one unit of work in careops.services, plus the fault artifacts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prefect import get_run_logger, task

from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.services.faults import steps as service
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import FaultView, fault_timeline, next_timer_due, open_faults
from careops.services.faults.watch import watch_faults
from careops.settings import get_settings
from careops.wakeups import schedule_wakeup
from tasks.artifacts import markdown_table, publish_markdown, publish_table

# No retries on the steps: a CareopsError (bad input, invalid transition) will not get better,
# and a report retried by hand is one fault anyway (report_key).


def _told(result: service.StepResult) -> dict:
    """The step's result; who could not be reached goes to the run log as a warning too."""
    for warning in result.warnings:
        get_run_logger().warning("fault %s: %s", result.fault_id, warning)
    return asdict(result)


@task(name="report-fault")
def report_fault_task(data: service.FaultReport) -> dict:
    return _told(service.report_fault(UnitOfWork(), data, FaultEnv.from_settings(), utcnow()))


@task(name="file-fault")
def file_fault_task(fault_id: int, by: str, comment: str | None) -> dict:
    return _told(service.file_fault(
        UnitOfWork(), fault_id, by, FaultEnv.from_settings(), utcnow(), comment=comment))


@task(name="update-fault")
def update_fault_task(fault_id: int, note: str, by: str) -> dict:
    return _told(service.update_fault(
        UnitOfWork(), fault_id, note, by, FaultEnv.from_settings(), utcnow()))


@task(name="resolve-fault")
def resolve_fault_task(
    fault_id: int, resolution: str, by: str, ended_at: datetime | None, unfiled_reason: str | None
) -> dict:
    return _told(service.resolve_fault(
        UnitOfWork(), fault_id, resolution, by, FaultEnv.from_settings(), utcnow(),
        ended_at=ended_at, unfiled_reason=unfiled_reason))


@task(name="submit-fault-analysis")
def submit_analysis_task(fault_id: int, data: service.AnalysisInput) -> dict:
    return _told(service.submit_analysis(
        UnitOfWork(), fault_id, data, FaultEnv.from_settings(), utcnow()))


@task(name="watch-faults", retries=2, retry_delay_seconds=[5, 30])
def watch_faults_task() -> dict:
    """Chases due now, and pending deadlines whose calendar year is there now."""
    result = watch_faults(UnitOfWork(), FaultEnv.from_settings(), utcnow())
    for warning in result.warnings:
        get_run_logger().warning(warning)
    return {"chased": result.chased, "deadlines": result.deadlines, "warnings": result.warnings}


@task(name="schedule-fault-watch")
def schedule_fault_watch_task() -> str | None:
    """One fault-watch run at the minute the next chase is due (careops/wakeups.py)."""
    due = next_timer_due(UnitOfWork())
    if due is None:
        return None
    return schedule_wakeup("fault-watch/fault-watch", due, utcnow(), reason="next R5 chase")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def timeline_markdown(view: FaultView) -> str:
    rows = [{"when": _local(e.at), "step": e.kind, "by": e.actor, "details": e.details,
             "delivery": e.delivery} for e in view.timeline]
    facts = [
        ("project", f"{view.project_code} {view.project_name} ({view.customer_name})"),
        ("severity / state", f"{view.severity} / {view.state}"),
        ("occurred at", _local(view.occurred_at)), ("place", view.place),
        ("symptoms", view.symptoms), ("handling plan", view.handling_plan),
        ("reported", f"{_local(view.reported_at)} by {view.reporter}"),
        ("filed", f"{_local(view.filed_at)} {view.filed_by or ''}"),
        ("resolved", f"{_local(view.resolved_at)} {view.resolution or ''}"),
        ("analysis due", _local(view.analysis_due_at) if view.analysis_due_pending_year is None
         else f"pending: calendar {view.analysis_due_pending_year} not published"),
        ("closed", _local(view.closed_at)),
        ("next chase", _local(view.next_chase_at)),
    ]
    facts += [("not reached", e.details) for e in view.timeline if e.kind == "unreached"]
    lines = [f"# Fault {view.id}", ""] + [f"- **{k}**: {v}" for k, v in facts]
    return "\n".join(lines) + "\n\n## Timeline\n\n" + markdown_table(rows)


@task(name="publish-fault-timelines")
def publish_timelines_task(fault_ids: list[int]) -> None:
    """One markdown artifact per fault (key fault-<id>), all in one task."""
    for fault_id in fault_ids:
        view = fault_timeline(UnitOfWork(), fault_id)
        publish_markdown(
            f"fault-{fault_id}", timeline_markdown(view), f"Fault {fault_id} timeline"
        )


@task(name="publish-open-faults")
def publish_open_faults_task() -> list[dict]:
    rows = open_faults(UnitOfWork(), utcnow(), tz=get_settings().tz)
    publish_table("open-faults", rows, "Open faults: age, state, next escalation")
    return rows
