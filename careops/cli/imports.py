"""`careops import staff|customers|projects FILE`: load ops' tables (CSV or XLSX).

Exit status: 0 every row stored, 1 some rows rejected (the good ones are stored anyway),
2 the file could not be read at all (nothing stored).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from careops.cli.common import console, reported_errors
from careops.clock import local_today
from careops.db.engine import get_engine
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.exports import write_table
from careops.services.import_rows import Kind
from careops.services.imports import ImportReport, import_file
from careops.settings import get_settings

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
    with reported_errors():
        report = import_file(default_uow(), kind, file, today=parse_today(today))
        if errors is not None:
            write_table(errors, ("row", "reason"), ((e.row, e.reason) for e in report.errors))
    _print(kind, file, report)
    if not report.ok:
        raise typer.Exit(1)


def _print(kind: Kind, file: Path, report: ImportReport) -> None:
    if report.errors:
        title = f"rejected rows of {escape(file.name)}"
        table = Table("row", "reason", title=title, title_justify="left")
        table.columns[0].justify = "right"
        table.columns[0].no_wrap = True
        table.columns[1].overflow = "fold"
        for error in report.errors[:SHOWN_ERRORS]:
            table.add_row(str(error.row), escape(error.reason))
        console.print(table)
        if report.rejected > SHOWN_ERRORS:
            console.print(
                f"... and {report.rejected - SHOWN_ERRORS} more (use --errors FILE for all)"
            )
    style = "green" if report.ok else "yellow"
    console.print(
        f"[{style}]{kind} from {escape(file.name)}: {report.summary()}[/]", highlight=False
    )
