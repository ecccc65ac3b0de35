"""`careops demo seed`: fill an empty database with the demo data set."""

from __future__ import annotations

from typing import Annotated

import typer

from careops.cli.common import console, reported_errors
from careops.cli.imports import default_uow, parse_today
from careops.demo import seed_demo

app = typer.Typer(help="Demo data for trying careops out.", no_args_is_help=True)


@app.command()
def seed(
    today: Annotated[
        str | None,
        typer.Option(help="Deliveries are spread over the 3 years before this date (YYYY-MM-DD)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = (
        20261123
    ),
) -> None:
    """Seed ~30 staff, 200 customers and 400 projects, only into an empty database."""
    with reported_errors():
        summary = seed_demo(default_uow(), today=parse_today(today), seed=seed)
    if summary is None:
        console.print("[yellow]the database already holds staff, customers or projects: "
                      "demo data not seeded[/]")
        return
    console.print(
        f"[green]demo data seeded:[/] {summary.staff} staff, {summary.customers} customers "
        f"({summary.no_calls_customers} asked for no calls), {summary.projects} projects "
        f"({summary.undelivered} not delivered yet, {summary.retired} retired, "
        f"{summary.without_cs_owner} without a CS owner)",
        highlight=False,
    )
