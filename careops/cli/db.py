"""`careops db ...`: the careops database schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from careops.cli.common import console, reported_errors
from careops.db import migrate
from careops.db.engine import normalise_url
from careops.db.faults import masked_url
from careops.settings import get_settings

app = typer.Typer(
    help="Database schema (Alembic migrations), backup and restore.", no_args_is_help=True
)


@app.command()
def upgrade() -> None:
    """Migrate the configured database to the latest schema."""
    url = get_settings().database_url
    migrate.upgrade(url)
    console.print(f"database {masked_url(normalise_url(url))} is up to date", highlight=False)


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")],
) -> None:
    """Back up the configured database while careops runs (SQLite online backup; pg_dump)."""
    from careops.db.backup import backup as make_backup

    url = get_settings().database_url
    with reported_errors():
        result = make_backup(url, file)
    console.print(
        f"backed up {masked_url(normalise_url(url))} to {result.path} "
        f"({result.size:,} bytes, schema {result.revision or 'not migrated'})",
        highlight=False,
    )


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `careops db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: everything in the database is replaced.")
    ] = False,
) -> None:
    """Replace the configured database with a backup (stop the stack and workers first)."""
    from careops.db.backup import restore as restore_backup
    from careops.errors import CareopsError

    url = get_settings().database_url
    with reported_errors():
        if not yes:
            raise CareopsError(
                f"restore replaces everything in {masked_url(normalise_url(url))}: "
                "add --yes to confirm"
            )
        result = restore_backup(url, file)
        head = migrate.head_revision()
    console.print(
        f"restored {result.path} into {masked_url(normalise_url(url))} "
        f"(schema {result.revision or 'not migrated'})",
        highlight=False,
    )
    if head and result.revision != head:
        console.print(f"the backup's schema is older than {head}: run `careops db upgrade`")
