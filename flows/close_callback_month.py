"""close-callback-month — end of a month's callbacks (R1).

Marks every callback of the month still open as missed (the next one is still planned) — or done
when it was tried and the customer not reached — records the month as closed (it is not planned
again; its callbacks are then only recorded late, by number) and mails the CS head the summary:
planned / done / missed, outcomes, satisfaction, per assignee, and the missed list.
Scheduled 00:30 on the 1st (Asia/Shanghai) for the month just ended.
Requires a migrated careops database. Safe to re-run: the summary is mailed once per month.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from careops.clock import local_today
from careops.months import Month
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown
from tasks.callbacks import close_month_task
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


class CloseMonthParams(BaseModel):
    month: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; empty: last month"
    )


@flow(name="close-callback-month", log_prints=True, **FAILURE_HOOKS)
def close_callback_month(params: CloseMonthParams | None = None) -> dict:
    params = params or CloseMonthParams()
    month = (
        Month.parse(params.month)
        if params.month
        else Month.of(local_today(get_settings().tz)).previous()
    )
    summary = close_month_task(month)
    deliver_outbox_task()
    publish_markdown(
        f"callback-month-{month}",
        f"# Callbacks {month}\n\n"
        f"- planned {summary['planned']}, done {summary['done']}, missed {summary['missed']} "
        f"({summary['newly_missed']} marked missed by this run)\n"
        f"- average satisfaction: {summary['average_satisfaction']}\n"
        f"- summary mailed to {summary['mailed_to']}\n\n"
        f"## By assignee\n\n{markdown_table(summary['by_assignee'])}",
        f"Callback month {month} closed",
    )
    return summary
