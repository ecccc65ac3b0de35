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


def deliver_now() -> int:
    """Deliver the outbox right away; warn (without failing) when mail has to wait.

    The state change is already committed and its mail is safe in the outbox: the
    deliver-outbox deployment retries it once the SMTP server answers.
    """
    from careops.db.engine import get_engine
    from careops.mail.delivery import deliver_pending
    from careops.settings import get_settings

    report = deliver_pending(get_engine(), get_settings().smtp)
    if report.unreachable or report.retry_later or report.failed:
        reason = report.unreachable or "; ".join(report.errors[:3])
        err_console.print(
            f"[yellow]warning:[/] mail not sent yet ({reason}); it stays in the outbox and "
            "the deliver-outbox deployment retries it",
            highlight=False,
        )
    return report.sent
