"""`careops simulate`: a year (or a span) of every scheduled process on a frozen clock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from careops.cli.common import console
from careops.errors import CareopsError
from careops.months import check_day


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CareopsError(f"{option} {value!r} is not a date like 2026-04-01") from None
    return check_day(day, f"{option} {value!r}")


def simulate(
    year: Annotated[
        int | None,
        typer.Option(help="The year to simulate (default: this year).", min=2000, max=2100),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="First day (YYYY-MM-DD) instead of 1 January of --year."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(help="Last day (YYYY-MM-DD, included) instead of 31 December of --year."),
    ] = None,
    customers: Annotated[
        int,
        typer.Option(
            help="Customers of the demo data (twice as many projects).", min=1, max=100_000
        ),
    ] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same run.")] = 1,
    database_url: Annotated[
        str | None,
        typer.Option(help="An empty database to fill (default: a temporary SQLite file)."),
    ] = None,
) -> None:
    """Run every scheduled process of prefect.yaml, at the times its schedules (and the exact-
    time wakeups) fire, for each day of a year on a frozen clock against a scratch database
    and an in-process SMTP sink, with simulated people (callbacks, weekly reports, cases,
    faults, survey answers) and a fake site checker. Prints per process what happened, the
    time, and checks the invariants: nothing created or mailed twice, every callback done or
    missed, every R4 meeting compiled, every R3 window watched. Exit 1 on a violation."""
    from careops.clock import local_today
    from careops.settings import get_settings
    from careops.simulation.report import lines
    from careops.simulation.runner import check_span
    from careops.simulation.runner import simulate as run

    year = year or local_today(get_settings().tz).year
    start = _day("--from", from_) or date(year, 1, 1)
    last = _day("--to", to) or date(year, 12, 31)
    check_span(start, last)
    outcome = run(
        start,
        last + timedelta(days=1),
        customers=customers,
        seed=seed,
        database_url=database_url,
    )
    for line in lines(outcome):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1 if outcome.violations else 0)
