"""`careops import staff|customers|projects|sites|duty FILE`: load ops' tables (CSV or XLSX).

Exit status: 0 every row stored, 1 some rows rejected (the good ones are stored anyway; or the
--errors file could not be written after all, and the rejected rows are printed instead), 2 the
file could not be read at all or the --errors path is not writable (checked first: nothing
stored), 3 a database fault.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from careops.cli.common import console, err_console, reported_errors
from careops.clock import local_today
from careops.db.engine import get_engine
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.exports import write_table
from careops.services.operations.import_rows import Kind
from careops.services.operations.imports import ImportReport, import_file
from careops.settings import get_settings
from careops.tabular import check_writable

app = typer.Typer(
    help="Import staff, customers and projects from .csv or .xlsx files (see config/samples).",
    no_args_is_help=True,
)

SHOWN_ERRORS = 200

FileArg = Annotated[
    Path, typer.Argument(help=".csv (UTF-8 or GB18030) or .xlsx file; row 1 is the header.")
]
TodayOpt = Annotated[
    str | None,
    typer.Option(help="Date the import is checked against (YYYY-MM-DD; default: today)."),
]
ErrorsOpt = Annotated[
    Path | None,
    typer.Option("--errors", help="Also write every rejected row (row, reason) here: .csv/.xlsx"),
]


@app.command()
def staff(file: FileArg, today: TodayOpt = None, errors: ErrorsOpt = None) -> None:
    """Import staff: code, name, department, role, email, phone, locale, active."""
    _run("staff", file, today, errors)


@app.command()
def customers(file: FileArg, today: TodayOpt = None, errors: ErrorsOpt = None) -> None:
    """Import customers: code, name, tier, contact_name, contact_phone, contact_email, address,
    no_calls."""
    _run("customers", file, today, errors)


@app.command()
def projects(file: FileArg, today: TodayOpt = None, errors: ErrorsOpt = None) -> None:
    """Import projects: code, name, customer_code, delivered_on, retired_on, cs_owner_code,
    sales_code, manager_code, ts_contact_code, website_url (import staff and customers first)."""
    _run("projects", file, today, errors)


@app.command()
def sites(file: FileArg, errors: ErrorsOpt = None) -> None:
    """Import monitored sites (R3): project_code, url, expected_status, keyword,
    max_response_ms, active (import projects first)."""
    from careops.services.watch.imports import import_sites_file

    _report("sites", file, errors, lambda: import_sites_file(default_uow(), file))


@app.command()
def duty(file: FileArg, errors: ErrorsOpt = None) -> None:
    """Import the CS duty roster (R3): date, staff_code; dates inside holiday watch windows."""
    from careops.services.watch.imports import WatchCalendar, import_duty_file

    _report("duty", file, errors,
            lambda: import_duty_file(default_uow(), file, WatchCalendar.from_settings()))


def parse_today(value: str | None) -> date:
    """The --today option, or the local date in the configured timezone."""
    settings = get_settings()
    if value is None:
        return local_today(settings.tz)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CareopsError(f"--today {value!r} is not a date like 2026-11-23") from None


def default_uow() -> UnitOfWork:
    # Engine keyed by the configured URL, so a changed CAREOPS_DATABASE_URL is honoured.
    return UnitOfWork(get_engine(get_settings().database_url))


def _run(kind: Kind, file: Path, today: str | None, errors: Path | None) -> None:
    _report(kind, file, errors,
            lambda: import_file(default_uow(), kind, file, today=parse_today(today)))


def _report(kind: str, file: Path, errors: Path | None, run) -> None:
    with reported_errors():
        if errors is not None:  # before anything is stored (exit 2 means nothing stored)
            try:
                check_writable(errors)
            except CareopsError as exc:
                raise CareopsError(f"--errors {exc}; nothing was imported") from None
        report = run()
    unwritten = None
    if errors is not None:
        try:
            write_table(errors, ("row", "reason"), ((e.row, e.reason) for e in report.errors))
        except CareopsError as exc:  # stored already: show the rows here instead
            unwritten = str(exc)
    _print(kind, file, report, show_all=unwritten is not None)
    if unwritten is not None:
        err_console.print(f"[bold red]error:[/] --errors {escape(unwritten)}", highlight=False)
    if not report.ok or unwritten is not None:
        raise typer.Exit(1)


def _print(kind: str, file: Path, report: ImportReport, *, show_all: bool = False) -> None:
    if report.errors:
        title = f"rejected rows of {escape(file.name)}"
        table = Table("row", "reason", title=title, title_justify="left")
        table.columns[0].justify = "right"
        table.columns[0].no_wrap = True
        table.columns[1].overflow = "fold"
        for error in report.errors if show_all else report.errors[:SHOWN_ERRORS]:
            table.add_row(str(error.row), escape(error.reason))
        console.print(table)
        if report.rejected > SHOWN_ERRORS and not show_all:
            console.print(
                f"... and {report.rejected - SHOWN_ERRORS} more (use --errors FILE for all)"
            )
    style = "green" if report.ok else "yellow"
    console.print(
        f"[{style}]{kind} from {escape(file.name)}: {report.summary()}[/]", highlight=False
    )
