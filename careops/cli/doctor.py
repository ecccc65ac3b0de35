"""`careops doctor`: one table of careops's health; exit 1 when something is wrong."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from careops.cli.common import console

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check the database, SMTP, the calendar, Prefect (API, deployments, worker, last runs)
    and the outbox; exit 1 if any check fails."""
    from careops.clock import local_today, utcnow
    from careops.doctor import Status, run_checks
    from careops.settings import get_settings

    settings = get_settings()
    checks = run_checks(settings, utcnow(), local_today(settings.tz))
    failed = any(c.status == Status.FAIL for c in checks)
    if as_json:
        typer.echo(json.dumps({"ok": not failed, "checks": [c.as_dict() for c in checks]},
                              ensure_ascii=False, indent=2))
    else:
        table = Table("check", "", "detail", title="careops doctor")
        for check in checks:
            style = _STYLE[str(check.status)]
            table.add_row(check.name, f"[{style}]{check.status}[/]", escape(check.detail))
        console.print(table)
    raise typer.Exit(1 if failed else 0)
