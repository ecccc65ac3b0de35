"""R7 report tasks: build the month's figures, queue the mails, publish the artifact."""

from __future__ import annotations

import html

from prefect import task

from careops.bootstrap import get_mailer
from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.months import Month
from careops.services.supervision.report import MonthlyReport, build_report, queue_report_mails
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown


def report_markdown(report: MonthlyReport) -> str:
    parts = [f"# {report.month}", "", f"**{html.escape(report.as_of_text)}**", ""]
    for section in report.sections:
        if section.empty and not section.rows:
            parts += [html.escape(section.empty), ""]
            continue
        rows = [{h: html.escape("–" if v is None else str(v)) for h, v in
                 zip(section.headers, row, strict=True)} for row in section.rows]
        parts += [f"## {section.title}", "", f"_{section.basis}_", "", markdown_table(rows)]
    parts += [f"> {note}" for note in report.notes]
    return "\n".join(parts)


@task(name="send-monthly-report", retries=2, retry_delay_seconds=[10, 60])
def send_report_task(month: Month) -> list[str]:
    s = get_settings()
    return queue_report_mails(
        UnitOfWork(), month, s.tz, utcnow(), get_mailer(),
        font_file=s.charts.font_file, gm_email=s.gm_email, biz_head_email=s.biz_head_email,
        cs_head_email=s.cs_head_email, default_locale=s.default_locale)


@task(name="publish-monthly-report")
def publish_report_task(month: Month) -> dict:
    s = get_settings()
    report = build_report(UnitOfWork(), month, s.tz, utcnow(), s.default_locale)
    publish_markdown(f"monthly-report-{month}", report_markdown(report),
                     f"Service supervision report {month}")
    cases = report.section("cases").rows[-1]
    return {"month": str(month), "as_of": report.as_of.isoformat(), "cases": cases[1],
            "cases_met_pct": cases[7]}
