"""What every command shares: the console and turning CareopsError into a clear exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from careops.errors import CareopsError

console = Console()
err_console = Console(stderr=True)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print a CareopsError as one line naming what is wrong and exit with status 2."""
    try:
        yield
    except CareopsError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
