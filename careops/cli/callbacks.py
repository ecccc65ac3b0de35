"""`careops callbacks ...` and `careops preview callbacks`: R1 from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from careops.bootstrap import get_calendar, get_mailer
from careops.cli.common import console, deliver_now, err_console, reported_errors
from careops.clock import local_today, utcnow
from careops.db.models.callbacks import CallbackOutcome
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.months import MAX_YEAR, MIN_YEAR, YEARS, Month
from careops.rules.callbacks import due_dates
from careops.services.callbacks import outcomes as service
from careops.services.callbacks.call_lists import call_list_entries
from careops.services.callbacks.months import close_month
from careops.services.callbacks.my_calls import record_call
from careops.services.callbacks.planning import plan_and_notify
from careops.settings import get_settings

app = typer.Typer(help="Customer callbacks (R1).", no_args_is_help=True)
preview_app = typer.Typer(help="Show what the rules give, without touching the database.")

MonthOption = Annotated[str | None, typer.Option(help="YYYY-MM (default: this month)")]


def _month(text: str | None) -> Month:
    return Month.parse(text) if text else Month.of(local_today(get_settings().tz))


def _in_years(ctx: typer.Context, param: typer.CallbackParam, value: datetime) -> datetime:
    """A date option within the years careops handles, else a usage error naming it (exit 2)."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise typer.BadParameter(f"{value:%Y-%m-%d} is out of range: {YEARS}")
    return value


@preview_app.command("callbacks")
def preview_callbacks(
    delivered: Annotated[
        datetime,
        typer.Option(formats=["%Y-%m-%d"], help="Delivery date D", callback=_in_years),
    ],
    start: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], callback=_in_years)
    ],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], callback=_in_years)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array of ISO dates")
    ] = False,
) -> None:
    """The callback due dates R1 gives a project delivered on --delivered, from --from to --to."""
    with reported_errors():
        if start > end:
            raise CareopsError(f"--from {start:%Y-%m-%d} is later than --to {end:%Y-%m-%d}")
        dues = due_dates(delivered.date(), start.date(), end.date(), get_calendar())
    if as_json:
        typer.echo(json.dumps([d.isoformat() for _seq, d in dues]))
        return
    table = Table(
        "No.", "due date", "weekday", title=f"Callbacks for delivery {delivered:%Y-%m-%d}"
    )
    for seq, d in dues:
        table.add_row(str(seq), d.isoformat(), f"{d:%a}")
    console.print(table)


@app.command("plan")
def plan(month: MonthOption = None) -> None:
    """Create the month's callbacks, assign them and mail the call lists (like plan-callbacks)."""
    with reported_errors():
        result = plan_and_notify(
            UnitOfWork(), _month(month), get_calendar(), get_mailer(), utcnow(),
            get_settings().tz,
        )
        sent = deliver_now()
    console.print(
        f"{result.month}: {result.created} created, {result.already_planned} already planned, "
        f"{len(result.call_lists)} call lists queued, {sent} mails sent"
    )


@app.command("list")
def list_callbacks(month: MonthOption = None) -> None:
    """Show a month's callbacks: due date, customer, contact, assignee, status."""
    with reported_errors():
        the_month = _month(month)
        uow = UnitOfWork()
        with uow:
            entries = call_list_entries(uow.session, the_month)
    table = Table(
        "No.",
        "due",
        "customer",
        "project",
        "contact",
        "phone",
        "assignee",
        "status",
        "outcome",
        title=f"Callbacks {the_month} ({len(entries)})",
    )
    styles = {"done": "green", "missed": "red", "open": "yellow"}
    for e in entries:
        table.add_row(
            str(e.callback_id),
            e.due_date.isoformat(),
            e.customer_name,
            e.project_code,
            e.contact_name,
            e.contact_phone,
            e.assignee_name,
            f"[{styles.get(e.status, '')}]{e.status}[/]",
            e.outcome or "",
        )
    console.print(table)


@app.command("record")
def record(
    outcome: Annotated[CallbackOutcome, typer.Option(help="What the call gave")],
    callback_id: Annotated[int | None, typer.Option("--id", help="Callback number")] = None,
    project: Annotated[str | None, typer.Option(help="Or the project code")] = None,
    month: Annotated[str | None, typer.Option(help="With --project: YYYY-MM")] = None,
    satisfaction: Annotated[int | None, typer.Option(min=1, max=5)] = None,
    notes: Annotated[str | None, typer.Option()] = None,
    issues: Annotated[str | None, typer.Option(help="Issues the customer raised")] = None,
    by: Annotated[str | None, typer.Option(help="Who made the call")] = None,
    no_more_calls: Annotated[bool, typer.Option(help="Customer asked not to be called")] = False,
    complaint: Annotated[
        bool, typer.Option(help="The issues raised are a complaint: open its case (R6)")
    ] = False,
) -> None:
    """Record one call attempt of a callback (not_reached leaves it open for another try).

    --project picks the project's open callback; a closed month's callback needs --id and is
    recorded late."""
    tz = get_settings().tz
    with reported_errors():
        if callback_id is None:
            if not project:
                raise typer.BadParameter("give --id or --project")
            callback_id = service.find_callback_id(
                UnitOfWork(), project, Month.parse(month) if month else None, tz
            )
        if complaint and not (issues or "").strip():
            raise CareopsError("--complaint needs --issues: what the customer complained about")
        data = service.OutcomeInput(outcome, satisfaction, notes, issues, by, no_more_calls)
        recorded = record_call(UnitOfWork(), callback_id, data, utcnow(), complaint=complaint,
                               tz=tz)
        result, case = recorded.summary, recorded.case
    for warning in result["warnings"]:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    verb = "recorded" if result["changed"] else "already recorded"
    console.print(
        f"callback {result['callback_id']} ({result['project']}, {result['month']}) {verb}: "
        f"{result['outcome']}, attempt {result['attempts']}, {result['status']}"
        + (f" — {result['late']}" if result["late"] else ""),
        highlight=False,
    )
    if case is not None:
        verb = "opened" if case.changed else "already open"
        console.print(f"complaint case {case.case_id} {verb} from callback {callback_id} "
                      f"(careops case show {case.case_id})", highlight=False)
        for warning in case.warnings:
            err_console.print(f"[yellow]warning:[/] case {case.case_id}: {warning}",
                              highlight=False)


@app.command("show")
def show(callback_id: Annotated[int, typer.Option("--id", help="Callback number")]) -> None:
    """Show a callback and the history of its call attempts (times in local time)."""
    with reported_errors():
        found = service.callback_history(UnitOfWork(), callback_id, get_settings().tz)
    console.print(
        f"callback {found['callback_id']} ({found['project']}, due {found['due_date']}): "
        f"{found['status']}, {found['outcome'] if found['attempts'] else 'no attempt yet'}",
        highlight=False,
    )
    table = Table("attempt", "at", "by", "outcome", "satisfaction", "late", "notes / issues")
    for a in found["history"]:
        table.add_row(
            str(a["attempt"]), a["at"], a["by"] or "", a["outcome"],
            str(a["satisfaction"] or ""), "late" if a["late"] else "",
            " / ".join(t for t in (a["notes"], a["issues_raised"]) if t),
        )
    console.print(table)


@app.command("close")
def close(month: MonthOption = None) -> None:
    """Mark a finished month's open callbacks missed and mail the CS head the summary."""
    settings = get_settings()
    with reported_errors():
        the_month = Month.parse(month) if month else Month.of(local_today(settings.tz)).previous()
        summary = close_month(
            UnitOfWork(),
            the_month,
            get_mailer(),
            today=local_today(settings.tz),
            fallback_head_email=settings.cs_head_email,
            now=utcnow(),
        )
        deliver_now()
    console.print(
        f"{summary.month}: planned {summary.planned}, done {summary.done}, missed {summary.missed}"
        f" ({summary.newly_missed} newly); summary mailed to {summary.mailed_to}"
    )
