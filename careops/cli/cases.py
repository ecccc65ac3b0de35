"""`careops case ...` and `careops preview deadline`: R6 from the command line.

Each command calls the service directly and delivers the outbox at once.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from careops.cli.callbacks import preview_app
from careops.cli.common import console, deliver_now, err_console, reported_errors
from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.months import check_day
from careops.rules.cases import CaseKind, Channel, DeadlineRule, Opinion, case_deadline
from careops.services.cases import steps as service
from careops.services.cases.deadlines import sweep_deadlines
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import due_text, list_cases, show_case
from careops.settings import get_settings

app = typer.Typer(help="Complaints, consultations, suggestions (R6).", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who does this step")]
CaseId = Annotated[int, typer.Argument(help="The case number")]


def parse_when(text: str | None, option: str = "--received") -> datetime | None:
    """An ISO time; without an offset it is local time (the configured timezone)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CareopsError(
            f"{option} {text!r} is not a time: write 2026-09-30T16:00 (local)"
        ) from None
    check_day(moment, f"{option} {text!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=get_settings().tz)


def _day(text: str | None, option: str = "--promised") -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CareopsError(f"{option} {text!r} is not a date: write 2026-10-09") from None
    return check_day(day, f"{option} {text!r}")


@preview_app.command("deadline")
def preview_deadline(
    kind: Annotated[CaseKind, typer.Option(help="consultation, suggestion or complaint")],
    received: Annotated[str, typer.Option(help="ISO time; without offset: Asia/Shanghai")],
    special: Annotated[bool, typer.Option(help="A special complaint (7 working days)")] = False,
    promised: Annotated[str | None, typer.Option(help="Suggestion: promised reply date")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"due": "<ISO>"}')] = False,
) -> None:
    """The deadline R6 gives a case received at --received (no database)."""
    from careops.bootstrap import get_calendar
    from careops.rules.cases import CaseInputError

    settings = get_settings()
    with reported_errors():
        if special and kind != CaseKind.COMPLAINT:
            raise CaseInputError(f"only a complaint can be special, not a {kind}")
        when = parse_when(received)
        assert when is not None
        c = settings.cases
        rule = DeadlineRule(c.consultation_hours, c.complaint_working_days,
                            c.special_complaint_working_days, c.suggestion_working_days)
        due = case_deadline(kind, when, get_calendar(), settings.tz, special=special,
                            promised_on=_day(promised), rule=rule).astimezone(settings.tz)
    if as_json:
        typer.echo(json.dumps({"due": due.isoformat()}))
        return
    midnight = (due.hour, due.minute) == (0, 0)
    text = f"{due - timedelta(days=1):%Y-%m-%d} 24:00" if midnight else f"{due:%Y-%m-%d %H:%M}"
    console.print(f"{kind} received {when.isoformat()} is due {text} ({due.isoformat()})",
                  highlight=False)


@app.command("open")
def open_(
    kind: Annotated[CaseKind, typer.Option(help="consultation, suggestion or complaint")],
    text: Annotated[str | None, typer.Option(help="What the customer said")] = None,
    taken_by: Annotated[str | None, typer.Option(help="Staff code of who took it (owner)")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer code")] = None,
    project: Annotated[str | None, typer.Option(help="Project code")] = None,
    channel: Annotated[Channel, typer.Option(help="How it came in")] = Channel.PHONE,
    received: Annotated[str | None, typer.Option(help="ISO time (local); default now")] = None,
    special: Annotated[bool, typer.Option(help="Special complaint (needs --reason)")] = False,
    reason: Annotated[str | None, typer.Option(help="Why the complaint is special")] = None,
    promised: Annotated[str | None, typer.Option(help="Suggestion: reply date promised")] = None,
    important: Annotated[bool, typer.Option(help="Keep longer in the archive")] = False,
    from_callback: Annotated[
        int | None, typer.Option(help="Open from this recorded callback's issues raised")
    ] = None,
) -> None:
    """Take a case; you (--taken-by) own it until you hand it over."""
    with reported_errors():
        env, now = CaseEnv.from_settings(), utcnow()
        if from_callback is not None:
            result = service.open_case_from_callback(
                UnitOfWork(), from_callback, env, now, kind=kind, taken_by=taken_by, text=text)
        else:
            if not text or not taken_by:
                raise CareopsError("give --text and --taken-by (or --from-callback)")
            data = service.CaseIntake(
                kind=kind, text=text, taken_by=taken_by, customer_code=customer,
                project_code=project, channel=channel, received_at=parse_when(received),
                special=special, special_reason=reason, promised_on=_day(promised),
                important=important)
            result = service.open_case(UnitOfWork(), data, env, now)
        sent = deliver_now()
    due = due_text(result.due_at, result.due_pending_year, get_settings().tz)
    verb = "opened" if result.changed else "already open as"
    console.print(f"case {result.case_id} {verb} ({kind}); due {due}; "
                  f"{sent} mail(s) sent", highlight=False)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] case {result.case_id}: {warning}",
                          highlight=False)


def _done(result: service.CaseResult, verb: str) -> None:
    sent = deliver_now()
    console.print(f"case {result.case_id} {verb} ({result.state}); {sent} mail(s) sent",
                  highlight=False)


@app.command("contact")
def contact(case_id: CaseId, details: Annotated[str, typer.Option(help="What was said")],
            by: By) -> None:
    """Log another contact from the customer about this case."""
    with reported_errors():
        _done(service.add_contact(UnitOfWork(), case_id, details, by, utcnow()), "contact logged")


@app.command("note")
def note(case_id: CaseId, text: Annotated[str, typer.Option(help="The note")], by: By) -> None:
    """Add a handling note."""
    with reported_errors():
        _done(service.add_note(UnitOfWork(), case_id, text, by, utcnow()), "note added")


@app.command("handover")
def handover(case_id: CaseId, to: Annotated[str, typer.Option(help="Staff code of new owner")],
             reason: Annotated[str, typer.Option(help="Why")], by: By) -> None:
    """Hand the case over to another owner (logged; the new owner is told)."""
    with reported_errors():
        _done(service.hand_over(UnitOfWork(), case_id, to, by, reason, CaseEnv.from_settings(),
                                utcnow()), "handed over")


@app.command("department")
def department(case_id: CaseId,
               name: Annotated[str, typer.Option("--name", help="CS, TS, BIZ, OFFICE ...")],
               by: By) -> None:
    """Set the responsible department."""
    with reported_errors():
        _done(service.set_department(UnitOfWork(), case_id, name, by, utcnow()),
              "department set")


@app.command("result")
def result(case_id: CaseId, text: Annotated[str, typer.Option(help="The result")],
           by: By) -> None:
    """Send the result to the customer (mail in their language, with the opinion link)."""
    with reported_errors():
        _done(service.send_result(UnitOfWork(), case_id, text, by, CaseEnv.from_settings(),
                                  utcnow()), "result sent")


@app.command("opinion")
def opinion(case_id: CaseId, value: Annotated[Opinion, typer.Option("--opinion")], by: By,
            comment: Annotated[str | None, typer.Option()] = None) -> None:
    """Record the customer's opinion given by phone or letter (not satisfied reopens)."""
    with reported_errors():
        _done(service.record_opinion(UnitOfWork(), case_id, value, comment,
                                     CaseEnv.from_settings(), utcnow(), by=by), "opinion recorded")


@app.command("close")
def close(case_id: CaseId, reason: Annotated[str, typer.Option()], by: By) -> None:
    """Close an answered case by hand."""
    with reported_errors():
        _done(service.close_case(UnitOfWork(), case_id, by, reason, utcnow()), "closed")


@app.command("important")
def important(case_id: CaseId, by: By) -> None:
    """Mark a case important: kept longer in the archive."""
    with reported_errors():
        _done(service.mark_important(UnitOfWork(), case_id, by, utcnow()), "marked important")


@app.command("sweep")
def sweep() -> None:
    """Send the deadline warnings and breach escalations due now (like case-deadlines)."""
    with reported_errors():
        r = sweep_deadlines(UnitOfWork(), CaseEnv.from_settings(), utcnow())
        sent = deliver_now()
    console.print(f"warned {r.warned}, breached {r.breached}, closed {r.closed}, "
                  f"deadlines set {r.deadlines}; {sent} mail(s) sent", highlight=False)
    for warning in r.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


@app.command("show")
def show(case_id: CaseId) -> None:
    """A case with its whole history: every contact, note, handover and notice."""
    with reported_errors():
        v = show_case(UnitOfWork(), case_id, get_settings().tz, utcnow())
    console.print(f"[bold]Case {v.id}[/] {v.kind} — [bold]{v.state}[/]; {v.customer_name} "
                  f"({v.customer_code}) {v.project_code or ''}; owner {v.owner_name}",
                  highlight=False)
    due = due_text(v.due_at, v.due_pending_year, get_settings().tz)
    console.print(f"received {_local(v.received_at)} via {v.channel}; due {due}; "
                  f"deadline met: {v.deadline_met}", highlight=False)
    console.print(f"text: {v.text}", highlight=False, markup=False)
    table = Table("when", "what", "by", "details", title="History")
    for e in v.history:
        table.add_row(_local(e.at), e.kind, e.actor, e.details)
    console.print(table)


@app.command("list")
def list_(
    open_only: Annotated[bool, typer.Option("--open/--all", help="Only cases not closed")] = True,
    owner: Annotated[str | None, typer.Option(help="Only this owner's (staff code)")] = None,
) -> None:
    """Cases by deadline, overdue ones marked."""
    with reported_errors():
        rows = list_cases(UnitOfWork(), get_settings().tz, utcnow(),
                          include_closed=not open_only, owner=owner)
    table = Table("id", "kind", "state", "customer", "owner", "received", "due",
                  title=f"{'Open c' if open_only else 'C'}ases ({len(rows)})")
    for r in rows:
        due = f"[red]{r['due']} overdue[/]" if r["overdue"] else r["due"]
        table.add_row(str(r["id"]), r["kind"], r["state"], r["customer"], r["owner"],
                      r["received"], due)
    console.print(table)


@app.command("purge")
def purge(dry_run: Annotated[bool, typer.Option(help="Only count what is due")] = False) -> None:
    """Delete closed cases past the archive period (statistics stay), like purge-cases."""
    from careops.services.cases.archive import purge_cases

    with reported_errors():
        r = purge_cases(UnitOfWork(), CaseEnv.from_settings(), utcnow(), dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    console.print(f"{verb} {r.purged} closed case(s) ({r.purged_important} important); "
                  f"{r.kept_closed} kept", highlight=False)
