"""`careops duty set`: who of CS is on duty on a day of a holiday watch window (R3)."""

from __future__ import annotations

from typing import Annotated

import typer

from careops.cli.common import console, reported_errors
from careops.cli.imports import default_uow
from careops.services.watch.imports import WatchCalendar, set_duty

app = typer.Typer(help="The CS duty roster of the holiday watch (R3).", no_args_is_help=True)


@app.command("set")
def duty_set(
    day: Annotated[str, typer.Option("--date", help="A date inside a watch window (YYYY-MM-DD)")],
    staff: Annotated[str, typer.Option(help="The CS staff code")],
) -> None:
    """Put one CS person on duty for --date (replacing whoever was)."""
    with reported_errors():
        set_duty(default_uow(), day, staff, WatchCalendar.from_settings())
    console.print(f"[green]{day}: {staff} on duty[/]", highlight=False)
