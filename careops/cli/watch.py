"""`careops watch …`: the R3 holiday watch from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from careops.cli.common import console, reported_errors
from careops.cli.imports import default_uow
from careops.clock import utcnow
from careops.rules.holidays import period_by_id
from careops.services import site_watch, watch_adhoc, watch_report
from careops.services.watch_notices import WatchEnv
from careops.site_checker import run_checks

app = typer.Typer(help="The holiday website watch (R3).", no_args_is_help=True)


@app.command("check")
def check(
    site: Annotated[list[str] | None, typer.Option(
        "--site", help="A URL or project code (repeat; none: every active site)")] = None,
) -> None:
    """Check sites now (like the check-sites deployment); never alerts. Exit 1 if one is down."""
    env = WatchEnv.from_settings()
    with reported_errors():
        ids = watch_adhoc.resolve_sites(default_uow(), site or [])
        rules = env.rules
        results = run_checks(site_watch.targets(default_uow(), ids),
                             timeout=rules.timeout_seconds, concurrency=rules.concurrency,
                             ca_file=rules.ca_file)
        rows = watch_adhoc.record_adhoc(default_uow(), results, utcnow())
    table = Table("site", "project", "up", "HTTP", "ms", "error", "certificate expires")
    for r in rows:
        table.add_row(escape(r["site"]), r["project"], "[green]yes[/]" if r["ok"] else
                      "[red]no[/]", str(r["status"] or ""), str(r["ms"] or ""),
                      escape(r["error"]), r["certificate expires"])
    console.print(table)
    if not all(r["ok"] for r in rows):
        raise typer.Exit(1)


@app.command("report")
def report(
    period: Annotated[str, typer.Option(help="The period, like 2026-national-day")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Rebuild a period's availability report from the stored results (nothing is mailed)."""
    env = WatchEnv.from_settings()
    with reported_errors():
        found = period_by_id(period, env.calendar, env.tz, env.holidays)
        built = watch_report.build_report(default_uow(), found, env.rules.interval_minutes)
    if as_json:
        typer.echo(json.dumps({"period": found.as_json(), "checks": built.checks,
                               "percent_up": built.percent_up,
                               "customers": built.customer_rows(),
                               "sites": built.site_rows()}, ensure_ascii=False))
        return
    console.print(f"{found.id}: {built.checks} checks, {built.percent_up}% up "
                  f"(window {found.start:%Y-%m-%d %H:%M} → {found.end:%Y-%m-%d %H:%M})",
                  highlight=False)
    for title, rows in (("per customer", built.customer_rows()),
                        ("per site", built.site_rows())):
        if not rows:
            continue
        table = Table(*rows[0], title=title, title_justify="left")
        for row in rows:
            table.add_row(*(escape(str(v if v is not None else "")) for v in row.values()))
        console.print(table)
