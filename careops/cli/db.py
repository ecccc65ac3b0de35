"""`careops db ...`: the careops database schema."""

from __future__ import annotations

import typer

from careops.cli.common import console
from careops.db import migrate
from careops.db.engine import normalise_url
from careops.db.faults import masked_url
from careops.settings import get_settings

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Migrate the configured database to the latest schema."""
    url = get_settings().database_url
    migrate.upgrade(url)
    console.print(f"database {masked_url(normalise_url(url))} is up to date", highlight=False)
