"""`careops stack ...`: the embedded stack (Prefect server + worker + SMTP catcher)."""

from __future__ import annotations

from typing import Annotated

import typer

from careops.cli.common import console, reported_errors

app = typer.Typer(help="The embedded stack: Prefect server + worker + SMTP catcher + web app.")


@app.command()
def up(
    host: Annotated[
        str | None,
        typer.Option(help="Address of the Prefect UI/API (default: settings, 127.0.0.1); "
                     "the server always requires an API auth string (prefect.auth_string, "
                     "else the one generated in var/secrets/prefect_auth_string)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port of the Prefect UI/API (default: settings, 4200).")
    ] = None,
    smtp_port: Annotated[
        int | None,
        typer.Option(help="Port of the SMTP catcher; careops's own mail goes there too."),
    ] = None,
    web_port: Annotated[
        int | None, typer.Option(help="Port of the careops web app (default: settings, 8400).")
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="Seed the demo data when the database is empty.")
    ] = True,
    worker: Annotated[
        bool, typer.Option(help="Start a worker for the careops pool (off: run your own).")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(help="How many process workers to start (default: settings, 1)."),
    ] = None,
    postgres: Annotated[
        str | None,
        typer.Option(help="careops's database on PostgreSQL (postgresql://USER@HOST/DB); the "
                          "Prefect server goes there too, into the database DB_prefect."),
    ] = None,
    prefect_database: Annotated[
        str | None,
        typer.Option(help="The Prefect server's own PostgreSQL database "
                          "(default: DB_prefect beside careops's PostgreSQL database)."),
    ] = None,
    embedded_postgres: Annotated[
        bool | None,
        typer.Option(help="Run the Prefect server on a PostgreSQL the stack starts under "
                          "var/prefect/postgres (default: settings, on); off: SQLite."),
    ] = None,
) -> None:
    """Migrate, seed, start the catcher, the web app, the Prefect server and a worker;
    Ctrl-C stops all."""
    from careops.settings import get_settings
    from careops.stack import StackConfig, run_stack

    with reported_errors():
        config = StackConfig.from_settings(
            get_settings(), host=host, port=port, smtp_port=smtp_port, web_port=web_port,
            demo=demo, worker=worker, workers=workers, postgres=postgres,
            prefect_database=prefect_database, generate_secrets=True,
            embedded_postgres=embedded_postgres,
        )
        code = run_stack(config, console)
    raise typer.Exit(code)


@app.command()
def status(
    port: Annotated[int | None, typer.Option(help="Port of the Prefect UI/API.")] = None,
) -> None:
    """Say whether a stack's Prefect server answers, and list the pool's deployments."""
    from careops.settings import get_settings
    from careops.stack import StackConfig
    from careops.stack.prefect_setup import deployed_schedules
    from careops.stack.processes import http_ok

    with reported_errors():
        config = StackConfig.from_settings(get_settings(), port=port)
    if not http_ok(f"{config.api_url}/health"):
        console.print(f"no Prefect server answers at {config.ui_url}")
        raise typer.Exit(1)
    console.print(f"Prefect server up at {config.ui_url}")
    for name, schedules in sorted(deployed_schedules(config).items()):
        when = ", ".join(f"{c} ({tz})" for c, tz in schedules) or "on demand"
        console.print(f"  {name:<22} {when}", highlight=False)
