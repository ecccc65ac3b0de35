"""`careops preview holiday-windows`: R3 holiday periods and watch windows, no database."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from careops.bootstrap import get_watch_calendar
from careops.cli.callbacks import preview_app
from careops.cli.common import console, reported_errors
from careops.months import MAX_YEAR, MIN_YEAR
from careops.rules.holidays import periods_starting_in
from careops.settings import get_settings


@preview_app.command("holiday-windows")
def preview_holiday_windows(
    year: Annotated[
        int,
        typer.Option(help="Periods whose first day falls in this year", min=MIN_YEAR,
                     max=MAX_YEAR),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
) -> None:
    """The R3 holiday periods of --year and their watch windows (18:00 of the last working day
    before → 24:00 of the last day, printed as the next day's 00:00, +08:00). A year whose
    calendar is not published shows the provisional windows the watch uses meanwhile
    (statutory days + weekends, no make-up working days), marked provisional."""
    settings = get_settings()
    with reported_errors():
        periods = periods_starting_in(
            year, get_watch_calendar(), settings.tz, tuple(settings.holiday_watch.holidays))
    if as_json:
        typer.echo(json.dumps([p.as_json() for p in periods], ensure_ascii=False))
        return
    title = f"Holiday watch windows {year}"
    if any(p.provisional for p in periods):
        title += (f" — PROVISIONAL: {settings.calendar_dir}/{year}.toml is missing (statutory "
                  "days + weekends, no make-up working days)")
    table = Table("period", "holidays", "days", "window opens", "window closes", "plan",
                  title=title)
    for p in periods:
        table.add_row(p.id, "、".join(p.names), f"{p.first_day:%m-%d}…{p.last_day:%m-%d} "
                      f"({p.days})", f"{p.start:%Y-%m-%d %H:%M}", f"{p.end:%Y-%m-%d %H:%M}",
                      "provisional" if p.provisional else "published")
    for column in table.columns:
        column.no_wrap = True
    console.print(table)
