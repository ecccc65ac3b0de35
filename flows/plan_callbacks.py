"""plan-callbacks — R1 monthly callback planning.

Creates every callback whose due date falls in the month (monthly in a project's first year,
quarterly after; moved to the next working day), assigns each to the project's CS owner or by
balanced round-robin over active CS staff, and mails each assignee a call list. Publishes a table
artifact of the plan and a markdown summary.

Scheduled daily 09:00 on days 1-10 (Asia/Shanghai): a scheduled run plans the month once its first
working day has come and it is not yet planned (recorded in the database when the call lists are
queued), so a failed first run is made good the next day; otherwise it does nothing. A closed
month is never planned again (refused with the reason).
Requires: a migrated careops database, active CS staff, a reachable SMTP server (mail
that cannot be sent stays in the outbox). Safe to re-run, retry or run twice at once.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from pydantic import BaseModel, Field

from careops.clock import local_today
from careops.months import Month
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown, publish_table
from tasks.callbacks import plan_month_task, queue_call_lists_task, scheduled_month_task
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


class PlanCallbacksParams(BaseModel):
    month: str | None = Field(
        default=None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="Month to plan, YYYY-MM. Empty: the current month, if its first working "
        "day has come and it is not planned yet.",
    )


@flow(name="plan-callbacks", log_prints=True, **FAILURE_HOOKS)
def plan_callbacks(params: PlanCallbacksParams | None = None) -> dict:
    params = params or PlanCallbacksParams()
    logger = get_run_logger()
    settings = get_settings()
    today = local_today(settings.tz)
    if params.month is None:
        month, skipped = scheduled_month_task(today)
        if skipped:
            logger.info("%s: nothing to do today (%s): %s", month, today, skipped)
            return {"month": str(month), "skipped": skipped}
    else:
        month = Month.parse(params.month)  # the one parse: tasks and services take the Month

    progress = create_progress_artifact(0.0, description=f"Planning callbacks for {month}")
    result = {"month": str(month)} | plan_month_task(month)
    update_progress_artifact(progress, 40.0)
    result |= queue_call_lists_task(month)
    update_progress_artifact(progress, 70.0)
    delivery = deliver_outbox_task()
    update_progress_artifact(progress, 100.0)
    publish_table(
        f"callback-plan-{month}", result["planned"], f"Callbacks newly listed for {month}"
    )
    publish_markdown(f"callback-plan-summary-{month}", _summary(result), f"Plan for {month}")
    logger.info("%s: %d created, %d already planned, %d call lists", month, result["created"],
                result["already_planned"], len(result["call_lists"]))
    return {k: v for k, v in result.items() if k != "planned"} | {"delivery": delivery}


def _summary(result: dict) -> str:
    lists = [
        {"staff": c["staff_name"], "code": c["staff_code"], "callbacks": c["count"]}
        for c in result["call_lists"]
    ]
    return (
        f"# Callback plan {result['month']}\n\n"
        f"- callbacks created by this run: **{result['created']}**\n"
        f"- already planned by an earlier run: {result['already_planned']}\n"
        f"- cancelled (project retired or redelivered, customer wants no calls): "
        f"{result['cancelled']}\n"
        f"- call lists mailed: {len(lists)}\n\n"
        f"## Call lists\n\n{markdown_table(lists)}"
    )


if __name__ == "__main__":
    plan_callbacks()
