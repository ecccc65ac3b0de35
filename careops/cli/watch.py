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
from careops.services.watch import acks as watch_acks
from careops.services.watch import adhoc as watch_adhoc
from careops.services.watch import periods as watch_periods
from careops.services.watch import report as watch_report
from careops.services.watch import rounds as site_watch
from careops.services.watch.notices import WatchEnv
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
        # the plan as it is now (a provisional window replaced once its calendar is published)
        found = watch_periods.replan(default_uow(), env, period) or period_by_id(
            period, env.calendar, env.tz, env.holidays)
        built = watch_report.build_report(default_uow(), found, env.rules.interval_minutes)
    if as_json:
        typer.echo(json.dumps({"period": found.as_json(), "checks": built.checks,
                               "percent_up": built.percent_up, "left_out": built.left_out,
                               "customers": built.customer_rows(),
                               "sites": built.site_rows()}, ensure_ascii=False))
        return
    left_out = f"; {built.left_out} round(s) outside it left out" if built.left_out else ""
    console.print(f"{found.id}: {built.checks} checks, {built.percent_up}% up "
                  f"({'PROVISIONAL ' if found.provisional else ''}window "
                  f"{found.start:%Y-%m-%d %H:%M} → {found.end:%Y-%m-%d %H:%M}{left_out})",
                  highlight=False)
    for title, rows in (("per customer", built.customer_rows()),
                        ("per site", built.site_rows())):
        if not rows:
            continue
        table = Table(*rows[0], title=title, title_justify="left")
        for row in rows:
            table.add_row(*(escape(str(v if v is not None else "")) for v in row.values()))
        console.print(table)


@app.command("ack")
def ack(
    incident: Annotated[list[int], typer.Option("--incident", help="A site incident id (repeat)")],
    staff: Annotated[str, typer.Option("--staff", help="The staff code of who is on it")],
) -> None:
    """"I'm on it": acknowledge incidents (no more reminders; the recovery notice says who)."""
    with reported_errors():
        result = watch_acks.acknowledge(default_uow(), incident, utcnow(), staff_code=staff,
                                        via="cli")
    tz = WatchEnv.from_settings().tz
    for incident_id in result.acknowledged:
        console.print(f"incident {incident_id}: acknowledged by {escape(staff)}", highlight=False)
    for incident_id, name, code, at in result.already:
        console.print(f"incident {incident_id}: already acknowledged by {escape(name)} "
                      f"({escape(code)}) at {at.astimezone(tz):%Y-%m-%d %H:%M}", highlight=False)
    for incident_id in result.ended:
        console.print(f"incident {incident_id}: back up already, nothing to acknowledge",
                      highlight=False)
