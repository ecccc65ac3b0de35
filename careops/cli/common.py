"""What every command shares: the console and turning errors into one clear line.

Exit status: 2 bad input (CareopsError, nothing stored by the failing step), 3 a database fault
(read-only, disk full, connection lost, locked ...), 1 anything unexpected — or a command that
did its work but whose mail could not be sent (SMTP down or misconfigured, mail given up): the
change is stored, the mail stays queued, and a line says it will be retried (`deliver_now`).
For 3 and unexpected failures the traceback goes to `careops-cli.log` in `log_dir` (default
var/log), never to the terminal.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from careops.db.faults import describe_fault
from careops.errors import CareopsError

console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_DB_FAULT = 3
EXIT_UNEXPECTED = 1
EXIT_PARTLY_DONE = 1  # done, but its mail is still queued (or failed for good)
# set by `deliver_now` when this command's delivery could not send mail
_MAIL_NOT_SENT: ContextVar[bool] = ContextVar("careops_mail_not_sent", default=False)
LOG_NAME = "careops-cli.log"

# psycopg logs a lost connection's clean-up ("error ignored terminating <psycopg.Pipeline
# [BAD]>: the connection is lost") besides raising; with no handler Python prints it on the
# terminal as a second line before the database fault's one (tests/chaos/test_pg_terminate.py).
logging.getLogger("psycopg").addHandler(logging.NullHandler())


try:  # typer >= 0.25 parses with its own copy of click: its usage errors are not click's
    from typer._click.exceptions import ClickException as _TyperUsage
except ImportError:  # pragma: no cover - an older typer uses click itself
    _TyperUsage = click.ClickException


class CareopsGroup(TyperGroup):
    """The top-level command group: no command ever ends in a traceback on the terminal."""

    def invoke(self, ctx: click.Context):
        token = _MAIL_NOT_SENT.set(False)
        try:
            result = super().invoke(ctx)
            if _MAIL_NOT_SENT.get():  # the README's promise: 1 for mail that could not be sent
                raise typer.Exit(EXIT_PARTLY_DONE)
            return result
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, click.Abort,
                _TyperUsage):
            raise  # usage errors (a missing or bad option): click prints them, exit 2
        except CareopsError as exc:
            _print_error(str(exc))
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            fault = describe_fault(exc, _database_url())
            log = log_detail(exc)
            where = f"; details in {log}" if log else ""
            if fault is not None:
                _print_error(f"database fault: {fault} ({_database()}){where}")
                raise typer.Exit(EXIT_DB_FAULT) from exc
            _print_error(f"unexpected failure ({type(exc).__name__}){where}")
            raise typer.Exit(EXIT_UNEXPECTED) from exc
        finally:
            _MAIL_NOT_SENT.reset(token)


def _print_error(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _database() -> str:
    from careops.db.faults import masked_url

    try:
        from careops.settings import get_settings

        return masked_url(get_settings().database_url)
    except Exception:  # noqa: BLE001
        return "database URL not readable"


def _database_url() -> str | None:
    try:
        from careops.db.engine import normalise_url
        from careops.settings import get_settings

        return normalise_url(get_settings().database_url)
    except Exception:  # noqa: BLE001
        return None


def log_path() -> Path:
    try:
        from careops.settings import get_settings

        settings = get_settings()
        return settings.path(settings.log_dir) / LOG_NAME
    except Exception:  # noqa: BLE001 - bad settings: still log somewhere
        return Path(tempfile.gettempdir()) / LOG_NAME


def log_detail(exc: BaseException) -> Path | None:
    """Append the traceback of `exc` to the CLI's log file; its path (None if unwritable).

    The command's arguments are not logged (they may hold customers' details); the engines
    hide bound parameters, so the SQL in a traceback carries no rows either.
    """
    path = log_path()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    command = " ".join(a for a in sys.argv[1:3] if not a.startswith("-"))
    text = "".join(traceback.format_exception(exc))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {stamp} pid {os.getpid()} {command}\n{text}\n")
    except OSError:
        return None
    return path


@contextmanager
def reported_errors() -> Iterator[None]:
    """Print a CareopsError as one line naming what is wrong and exit with status 2."""
    try:
        yield
    except CareopsError as exc:
        _print_error(str(exc))
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def deliver_now() -> int:
    """Deliver the outbox right away; say what has to wait and until when.

    The command's state change is already committed and its mail is safe in the outbox. If mail
    could not be sent (SMTP unreachable or misconfigured, mail given up), the command still
    finishes and prints its result, then exits 1 (`CareopsGroup`).
    """
    from careops.bootstrap import get_mailer
    from careops.db.uow import UnitOfWork
    from careops.services.operations.outbox_delivery import deliver_outbox
    from careops.settings import get_settings

    summary = deliver_outbox(UnitOfWork(), get_settings(), get_mailer())
    print_delivery(summary)
    if not summary.ok:
        _MAIL_NOT_SENT.set(True)
    return summary.report.sent


def print_delivery(summary) -> None:
    """The warnings and errors of a delivery run
    (careops.services.operations.outbox_delivery.describe)."""
    from careops.services.operations.outbox_delivery import describe
    from careops.settings import get_settings

    for level, line in describe(summary, get_settings().tz):
        style = "bold red" if level == "error" else "yellow"
        err_console.print(f"[{style}]{level}:[/] {escape(line)}", highlight=False, soft_wrap=True)
