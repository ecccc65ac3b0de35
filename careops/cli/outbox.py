"""`careops outbox list|show|retry|deliver`: the mail waiting, sent or failed for good.

Failed mail (given up after `smtp.max_attempts`, or stored without a usable recipient) stays in
the outbox until ops retry it. `show` prints a message's subject, attempts, last error and each
recipient's state with the server's reply (a server may refuse some recipients and accept the
others: a retry sends only to those still owed); its text (personal data) only with --body.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from careops.bootstrap import get_mailer
from careops.cli.common import console, print_delivery, reported_errors
from careops.clock import utcnow
from careops.db.models.outbox import OutboxStatus
from careops.db.uow import UnitOfWork
from careops.services.operations import outbox_admin
from careops.services.operations.outbox_delivery import deliver_outbox
from careops.settings import get_settings

app = typer.Typer(help="The outbox: mail waiting, sent or failed for good.", no_args_is_help=True)


class Shown(StrEnum):
    waiting = "waiting"  # pending, sending or failed: everything not delivered
    pending = "pending"
    sending = "sending"
    failed = "failed"
    sent = "sent"
    all = "all"


_STATUSES = {
    Shown.waiting: [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED],
    Shown.all: None,
}
_STYLES = {"failed": "red", "pending": "yellow", "sending": "cyan", "sent": "green"}


def _local(moment: datetime | None) -> str:
    return f"{moment.astimezone(get_settings().tz):%Y-%m-%d %H:%M}" if moment else ""


@app.command("list")
def list_messages(
    status: Annotated[Shown, typer.Option(help="Which messages (waiting: not delivered).")] = (
        Shown.waiting
    ),
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many, newest first.")] = 50,
) -> None:
    """List outbox messages: status, category, attempts, next attempt or lease, last error."""
    with reported_errors():
        statuses = _STATUSES[status] if status in _STATUSES else [OutboxStatus(status.value)]
        messages, total = outbox_admin.list_messages(UnitOfWork(), statuses, limit=limit)
    tz = get_settings().timezone
    table = Table(
        "id",
        "status",
        "category",
        "to",
        "attempts",
        f"next / lease ({tz})",
        "last error",
        title=f"outbox: {total} {'' if status is Shown.all else status.value + ' '}message(s)",
        title_justify="left",
    )
    table.columns[0].justify = "right"
    table.columns[6].overflow = "fold"
    for m in messages:
        when = (
            m.claimed_until
            if m.status == "sending"
            else (m.next_attempt_at if m.status == "pending" else None)
        )
        table.add_row(
            str(m.id),
            f"[{_STYLES.get(m.status, '')}]{m.status}[/]",
            escape(m.category),
            escape(m.recipients),
            str(m.attempts),
            _local(when),
            escape(m.last_error or ""),
        )
    console.print(table)
    if total > len(messages):
        console.print(f"... {total - len(messages)} more (use --limit)")


@app.command()
def show(
    message_id: Annotated[int, typer.Argument(help="The message's id (see `outbox list`).")],
    body: Annotated[bool, typer.Option(help="Also print the mail's text (personal data).")] = (
        False
    ),
) -> None:
    """Show one message: subject, attempts, times, last error, and each recipient's state with
    the server's reply."""
    with reported_errors():
        info, message, recipients = outbox_admin.show_delivery(UnitOfWork(), message_id)
    fields = [
        ("id", str(info.id)),
        ("key", info.key),
        ("category", info.category),
        ("status", info.status),
        ("to", info.recipients),
        ("subject", info.subject),
        ("attempts", str(info.attempts)),
        ("created", _local(info.created_at)),
        ("next attempt", _local(info.next_attempt_at) if info.status == "pending" else ""),
        ("leased until", _local(info.claimed_until)),
        ("sent", _local(info.sent_at)),
        ("last error", info.last_error or ""),
    ]
    for name, value in fields:
        if value:
            console.print(f"[bold]{name:>13}[/]  {escape(value)}", highlight=False)
    table = Table("recipient", "state", "server's reply", title="recipients", title_justify="left")
    table.columns[2].overflow = "fold"
    for address, state, reply in recipients:
        table.add_row(escape(address), f"[{_STYLES.get(state, '')}]{state}[/]", escape(reply or ""))
    console.print(table)
    if body:
        console.print()
        console.print(escape(outbox_admin.body_text(message)), highlight=False)


@app.command()
def retry(
    message_ids: Annotated[
        list[int] | None, typer.Argument(help="Failed messages to retry (see `outbox list`).")
    ] = None,
    all_failed: Annotated[bool, typer.Option(help="Retry every failed message.")] = False,
    to: Annotated[
        list[str] | None,
        typer.Option(help="Send to this address instead (repeat for several)."),
    ] = None,
) -> None:
    """Put failed mail back into the outbox with fresh attempts (fix the cause first)."""
    with reported_errors():
        if bool(message_ids) == all_failed:
            raise typer.BadParameter("give message ids or --all-failed (not both)")
        done = outbox_admin.retry(
            UnitOfWork(), None if all_failed else list(message_ids or []), utcnow(), to=to
        )
    console.print(
        f"{len(done)} message(s) back in the outbox; `careops outbox deliver` sends them now "
        "(or the next delivery run)"
    )


@app.command()
def deliver() -> None:
    """Send every due message now; exit 1 if mail could not be sent."""
    with reported_errors():
        summary = deliver_outbox(UnitOfWork(), get_settings(), get_mailer())
    print_delivery(summary)
    console.print(
        f"{summary.report.sent} mail(s) sent, {summary.state.pending} waiting, "
        f"{summary.state.failed} failed"
    )
    if not summary.ok:
        raise typer.Exit(1)
