"""`careops campaign build` and `careops gifts ...`: R2 campaign and gift shipments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from careops.bootstrap import get_mailer
from careops.cli.common import console, deliver_now, reported_errors
from careops.clock import local_today, utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.months import MAX_YEAR, MIN_YEAR
from careops.rules.survey import campaign_year
from careops.services.survey import reports
from careops.services.survey.campaign import build_campaign
from careops.services.survey.gift_shipments import gift_list_xlsx, import_tracking, shipments
from careops.services.survey.invitations import invite
from careops.services.survey.links import survey_links
from careops.settings import get_settings

campaign_app = typer.Typer(help="The December gift and survey campaign (R2).",
                           no_args_is_help=True)
app = typer.Typer(help="New Year gift shipments (R2).", no_args_is_help=True)

YearOption = Annotated[
    int | None,
    typer.Option(help="Campaign year (default: the current one)", min=MIN_YEAR, max=MAX_YEAR),
]


def year_or_current(year: int | None) -> int:
    return year if year is not None else campaign_year(local_today(get_settings().tz))


@campaign_app.command("build")
def build(
    year: YearOption = None,
    invite_now: Annotated[bool, typer.Option("--invite/--no-invite",
                                             help="Also mail the invitations")] = True,
) -> None:
    """Build the year's campaign (like december-campaign): members, gift list, invitations."""
    settings = get_settings()
    with reported_errors():
        the_year = year_or_current(year)
        built = build_campaign(UnitOfWork(), the_year, local_today(settings.tz),
                               settings.survey, utcnow())
        to = reports.queue_gift_list(UnitOfWork(), built, get_mailer(), settings, utcnow())
        invited = invite(UnitOfWork(), the_year, get_mailer(), survey_links(),
                         local_today(settings.tz), utcnow()) if invite_now else None
        sent = deliver_now()
    console.print(
        f"campaign {the_year}: {built.members} members ({built.new_customers} new, "
        f"{built.old_customers} old, {built.no_calls} without calls), {built.created} added; "
        f"gift list to {to}; {invited.queued if invited else 0} invitations queued; "
        f"{sent} mails sent", highlight=False)
    for item in built.listed_for_cs:
        console.print(f"[yellow]listed for CS:[/] {item.code} {escape(item.name)}: "
                      f"{item.reason}", highlight=False)
    if built.without_email:
        console.print(f"[yellow]no e-mail address (phone or letter):[/] "
                      f"{', '.join(built.without_email)}", highlight=False)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="The .xlsx file to write")],
    year: YearOption = None,
) -> None:
    """Write the gift shipment list for the courier (recipient, phone, address, gift, code)."""
    with reported_errors():
        if out.suffix.lower() != ".xlsx":
            raise CareopsError(f"--out {out}: the gift list is an .xlsx file")
        the_year = year_or_current(year)
        uow = UnitOfWork()
        with uow:
            items = shipments(uow.session, the_year)
        try:
            out.write_bytes(gift_list_xlsx(items, the_year))
        except OSError as exc:
            raise CareopsError(f"{out}: cannot write the file ({exc.strerror or exc})") from None
    console.print(f"{len(items)} shipments of {the_year} written to {out}", highlight=False)


@app.command("import-tracking")
def import_tracking_cmd(
    file: Annotated[Path, typer.Argument(help="The courier's .csv or .xlsx: shipment_code, "
                                              "tracking_number, status, date")],
) -> None:
    """Record the courier's shipped / delivered / returned steps; bad rows by row number."""
    settings = get_settings()
    with reported_errors():
        report = import_tracking(UnitOfWork(), file, utcnow())
        queued = [reports.queue_returned(UnitOfWork(), year, returned, get_mailer(), settings,
                                         utcnow())
                  for year, returned in sorted(report.returned_by_year.items())]
        if any(queued):
            deliver_now()
    if report.errors:
        table = Table("row", "reason", title=f"rejected rows of {escape(file.name)}",
                      title_justify="left")
        for error in report.errors:
            table.add_row(str(error.row), escape(error.reason))
        console.print(table)
    for item in report.returned:
        console.print(f"[yellow]returned:[/] {item.shipment_code} {escape(item.customer)} "
                      f"{escape(item.recipient)} {item.phone} {escape(item.address)}",
                      highlight=False)
    style = "green" if report.ok else "yellow"
    console.print(f"[{style}]{escape(file.name)}: {report.summary()}[/]", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
