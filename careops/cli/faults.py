"""`careops fault ...`: R5 fault reports from the command line.

Each command calls the service directly and delivers the outbox at once (no worker round trip),
so a report reaches its recipients within seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from careops.cli.common import console, deliver_now, err_console, reported_errors
from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.months import check_day
from careops.rules.faults import FaultSeverity
from careops.services.faults import steps as service
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import fault_timeline, open_faults
from careops.settings import get_settings

app = typer.Typer(help="Fault reports (R5): report, file, update, resolve, analysis.",
                  no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who does this step")]
FaultId = Annotated[int, typer.Argument(help="The fault number")]


def _when(text: str | None, option: str) -> datetime | None:
    """An ISO time; without an offset it is local time (the configured timezone)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CareopsError(
            f"{option} {text!r} is not a time: write 2026-03-16T09:30 (local)"
        ) from None
    check_day(moment, f"{option} {text!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=get_settings().tz)


def _done(result: service.StepResult, verb: str) -> None:
    sent = deliver_now()
    who = ", ".join(result.notified) or "nobody"
    console.print(f"fault {result.fault_id} {verb} ({result.state}); notified {who}; "
                  f"{sent} mail(s) sent", highlight=False)
    for warning in result.warnings:  # who could not be reached: the sender must act
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


@app.command("report")
def report(
    project: Annotated[str, typer.Option(help="Project code")],
    symptoms: Annotated[str, typer.Option(help="What is wrong")],
    place: Annotated[str, typer.Option(help="Where: site, system, server")],
    plan: Annotated[str, typer.Option("--plan", help="Handling plan")],
    by: By,
    occurred_at: Annotated[str | None, typer.Option(help="ISO time (local); default now")] = None,
    severity: Annotated[FaultSeverity, typer.Option(help="major or minor")] = FaultSeverity.MAJOR,
    key: Annotated[str | None, typer.Option(help="Your own id of this report")] = None,
) -> None:
    """Report a fault; the notice goes at once to the people the project's data names."""
    with reported_errors():
        now = utcnow()
        occurred = _when(occurred_at, "--occurred-at") or now
        data = service.FaultReport(project, occurred, place, symptoms, plan, severity, by, key)
        result = service.report_fault(UnitOfWork(), data, FaultEnv.from_settings(), now)
        if not result.changed:
            console.print(f"already reported as fault {result.fault_id} ({result.state})")
            return
        _done(result, "reported")


@app.command("file")
def file(
    fault_id: FaultId, by: By,
    comment: Annotated[str | None, typer.Option(help="Filing comment")] = None,
) -> None:
    """File a fault (the responsible manager); it goes to senior leadership."""
    with reported_errors():
        _done(service.file_fault(UnitOfWork(), fault_id, by, FaultEnv.from_settings(), utcnow(),
                                 comment=comment), "filed")


@app.command("update")
def update(
    fault_id: FaultId, note: Annotated[str, typer.Option(help="Progress note")], by: By
) -> None:
    """Add a progress note; the responsible manager is told."""
    with reported_errors():
        _done(service.update_fault(UnitOfWork(), fault_id, note, by, FaultEnv.from_settings(),
                                   utcnow()), "updated")


@app.command("resolve")
def resolve(
    fault_id: FaultId,
    resolution: Annotated[str, typer.Option(help="How the fault was ended")],
    by: By,
    ended_at: Annotated[str | None, typer.Option(help="ISO time (local); default now")] = None,
    unfiled_reason: Annotated[
        str | None, typer.Option(help="Needed to resolve a major fault never filed")] = None,
) -> None:
    """Record the end of a fault; the TS supervisor is asked for the analysis."""
    with reported_errors():
        _done(service.resolve_fault(
            UnitOfWork(), fault_id, resolution, by, FaultEnv.from_settings(), utcnow(),
            ended_at=_when(ended_at, "--ended-at"), unfiled_reason=unfiled_reason), "resolved")


@app.command("analysis")
def analysis(
    fault_id: FaultId,
    impact: Annotated[str, typer.Option(help="影响 Impact")],
    handling: Annotated[str, typer.Option(help="处理过程 Handling")],
    root_cause: Annotated[str, typer.Option(help="根本原因 Root cause")],
    corrective: Annotated[str, typer.Option(help="纠正措施 Corrective actions")],
    preventive: Annotated[str, typer.Option(help="预防措施 Preventive actions")],
    by: By,
) -> None:
    """Submit the analysis: mailed to the customer's contact and BIZ, the fault is closed."""
    with reported_errors():
        data = service.AnalysisInput(impact, handling, root_cause, corrective, preventive, by)
        _done(service.submit_analysis(UnitOfWork(), fault_id, data, FaultEnv.from_settings(),
                                      utcnow()), "analysed and closed")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


@app.command("show")
def show(fault_id: FaultId) -> None:
    """A fault with its full timeline: every step and every notice with its delivery."""
    with reported_errors():
        view = fault_timeline(UnitOfWork(), fault_id)
    console.print(f"[bold]Fault {view.id}[/] {view.project_code} {view.project_name} "
                  f"({view.customer_name}) — {view.severity}, [bold]{view.state}[/]")
    console.print(f"occurred {_local(view.occurred_at)} at {view.place}: {view.symptoms}",
                  highlight=False)
    due = _local(view.analysis_due_at) if view.analysis_due_pending_year is None else (
        f"pending (calendar {view.analysis_due_pending_year} not published)")
    console.print(f"analysis due {due}; next chase {_local(view.next_chase_at)}",
                  highlight=False)
    table = Table("when", "step", "by", "details", "delivery", title="Timeline")
    for e in view.timeline:
        table.add_row(_local(e.at), e.kind, e.actor, e.details, e.delivery)
    console.print(table)


@app.command("list")
def list_faults(
    open_only: Annotated[bool, typer.Option("--open/--all", help="Only faults not closed")] = True,
) -> None:
    """Faults with their age, state and next escalation."""
    with reported_errors():
        rows = open_faults(UnitOfWork(), utcnow(), include_closed=not open_only,
                           tz=get_settings().tz)
    table = Table("id", "project", "severity", "state", "age", "next escalation",
                  "analysis due", title=f"{'Open f' if open_only else 'F'}aults ({len(rows)})")
    for r in rows:
        table.add_row(str(r["id"]), r["project"], r["severity"], r["state"], r["age"],
                      r["next_escalation"], r["analysis_due"])
    console.print(table)
