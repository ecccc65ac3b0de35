"""monthly-report — the R7 service supervision report (08:00 on the 1st, for last month).

Figures of the month just ended from every process careops runs: callbacks planned / reached /
not reached / declined / missed and mean satisfaction by CS person (R1), faults by severity
with median and worst hours to file, resolve and analyse and the chases sent (R5), cases by
kind with deadlines met and breaches, by channel and department (R6), the weekly-report
submission rate (R4), and the availability of every holiday period that ended in the month
(R3: per period and site, the figures of its availability report); each table states its
basis. Mailed to the GM, the BIZ head and the CS head (fallbacks in settings) with two charts
inline and the XLSX attached, once per month and language; published as the artifact
`monthly-report-YYYY-MM`. Every figure is taken at the month's end (shown as "数据截至 …
24:00"), so a re-run or a later rebuild reads the same. Runs after close-callback-month
(00:30), and closes a finished month itself if that run failed, so missed callbacks are final.
Requires a migrated database, SMTP and the CJK chart font (scripts/install.sh).
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from careops.clock import local_today
from careops.months import Month
from careops.settings import get_settings
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.reports import publish_report_task, send_report_task


class MonthlyReportParams(BaseModel):
    month: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; empty: last month")
    send: bool = Field(True, description="Mail it (off: only the artifact)")


@flow(name="monthly-report", log_prints=True, **FAILURE_HOOKS)
def monthly_report(params: MonthlyReportParams | None = None) -> dict:
    params = params or MonthlyReportParams()
    today = local_today(get_settings().tz)
    month = Month.parse(params.month) if params.month else Month.of(today).previous()
    if today > month.last_day:
        from tasks.callbacks import close_month_task

        close_month_task(month)  # idempotent: already closed → the same summary, no mail
    summary = publish_report_task(month)
    if params.send:
        summary["mailed_to"] = send_report_task(month)
        summary["delivery"] = deliver_outbox_task()
    return summary
