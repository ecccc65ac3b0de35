"""`careops links`: staff members' personal links (revoke them, see what was done through them)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from careops.cli.common import console, reported_errors
from careops.cli.imports import default_uow
from careops.clock import local_time
from careops.services.operations.staff_access import revoke_links, staff_actions

app = typer.Typer(help="Staff members' personal links in their mail.", no_args_is_help=True)


@app.command("revoke")
def revoke(
    staff: Annotated[str, typer.Option("--staff", help="The staff code whose links stop working")],
) -> None:
    """Invalidate every personal link one staff member holds (a lost phone, a forwarded mail).

    Their next mails carry new links; pages opened with an old one say it was revoked."""
    with reported_errors():
        person = revoke_links(default_uow(), staff)
    console.print(f"[green]{person.code} ({person.name}): every link made before now is revoked[/]",
                  highlight=False)


@app.command("actions")
def actions(
    staff: Annotated[str | None, typer.Option("--staff", help="Only this staff code")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many rows")] = 50,
) -> None:
    """What staff did through their links, newest first: who, when, what, on which item."""
    with reported_errors():
        rows = staff_actions(default_uow(), staff, limit)
    table = Table("at", "staff", "action", "item", "via", "detail")
    for row in rows:
        table.add_row(local_time(row["at"]), row["staff"], row["action"], row["subject"],
                      row["via"], row["detail"] or "")
    console.print(table)
