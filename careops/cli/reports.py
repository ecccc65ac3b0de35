"""`careops report monthly`: the R7 supervision report on demand (print, --xlsx, --send)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from careops.cli.common import console, deliver_now, reported_errors
from careops.clock import local_today, utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.months import Month
from careops.settings import get_settings

app = typer.Typer(help="Reports (R7).", no_args_is_help=True)


@app.command("monthly")
def monthly(
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default: last month)")] = None,
    send: Annotated[bool, typer.Option(help="Mail it to the GM, BIZ and CS heads")] = False,
    xlsx: Annotated[Path | None, typer.Option(help="Also write the XLSX here")] = None,
    locale: Annotated[str, typer.Option(help="zh_CN or en (printing and --xlsx)")] = "zh_CN",
) -> None:
    """Build the monthly service supervision report; print it, write it, or mail it."""
    from careops.bootstrap import get_mailer
    from careops.services.supervision.report import build_report, queue_report_mails, xlsx_bytes

    s = get_settings()
    with reported_errors():
        if locale not in ("zh_CN", "en"):
            raise CareopsError(f"locale {locale!r} is not zh_CN or en")
        the_month = Month.parse(month) if month else Month.of(local_today(s.tz)).previous()
        report = build_report(UnitOfWork(), the_month, s.tz, utcnow(), locale)
        console.print(report.as_of_text, highlight=False)
        for section in report.sections:
            if section.empty and not section.rows:
                console.print(section.empty, highlight=False)
                continue
            table = Table(*section.headers, title=section.title, caption=section.basis)
            for row in section.rows:
                table.add_row(*("–" if v is None else str(v) for v in row))
            console.print(table)
        for note in report.notes:
            console.print(note, highlight=False)
        if xlsx is not None:
            try:
                xlsx.write_bytes(xlsx_bytes(report))
            except OSError as exc:
                raise CareopsError(f"{xlsx}: cannot write ({exc.strerror or exc})") from None
            console.print(f"wrote {xlsx}")
        if send:
            to = queue_report_mails(
                UnitOfWork(), the_month, s.tz, utcnow(), get_mailer(),
                font_file=s.charts.font_file, gm_email=s.gm_email,
                biz_head_email=s.biz_head_email, cs_head_email=s.cs_head_email,
                default_locale=s.default_locale)
            sent = deliver_now()
            console.print(f"report {the_month} queued for {', '.join(to)}; {sent} mail(s) sent",
                          highlight=False)
