"""R1 callback tasks: each is one unit of work in careops.services, safe to retry.

Bad input (a CareopsError: a closed month, a final outcome ...) is not retried: it would fail
the same way, only later."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from prefect import task

from careops.bootstrap import get_calendar, get_mailer
from careops.clock import local_today, utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.months import Month
from careops.services.callbacks import outcomes as service
from careops.services.callbacks.months import close_month, scheduled_month
from careops.services.callbacks.planning import plan_month, queue_call_lists
from careops.settings import get_settings


def _unless_bad_input(task, task_run, state) -> bool:
    return not isinstance(state.result(raise_on_failure=False), CareopsError)


RETRIES = {"retries": 2, "retry_delay_seconds": [5, 30], "retry_condition_fn": _unless_bad_input}


@task
def scheduled_month_task(today: date) -> tuple[Month, str | None]:
    """The month a scheduled run plans today, and why it does nothing (None: it plans)."""
    return scheduled_month(UnitOfWork(), today, get_calendar(), get_settings().tz)


@task(**RETRIES)
def plan_month_task(month: Month) -> dict:
    """Create and assign the month's callbacks (one transaction)."""
    result = plan_month(UnitOfWork(), month, get_calendar(), utcnow(), get_settings().tz)
    return {
        "created": result.created,
        "already_planned": result.already_planned,
        "cancelled": result.cancelled,
    }


@task(**RETRIES)
def queue_call_lists_task(month: Month) -> dict:
    """Queue each assignee's list of not-yet-notified callbacks (one transaction)."""
    lists, entries = queue_call_lists(UnitOfWork(), month, get_mailer(), utcnow(),
                                      get_settings().tz)
    return {
        "call_lists": [asdict(c) for c in lists],
        "planned": [e.as_row() for e in entries],
    }


@task(**RETRIES)
def record_outcome_task(callback_id: int, data: service.OutcomeInput, key: str | None) -> dict:
    """Record one attempt; `key` (the flow run) makes a retry of the same request add nothing."""
    return service.record_outcome(
        UnitOfWork(), callback_id, data, utcnow(), tz=get_settings().tz, key=key
    )


@task
def find_callback_task(project_code: str, month: Month | None) -> int:
    return service.find_callback_id(UnitOfWork(), project_code, month, get_settings().tz)


@task(**RETRIES)
def close_month_task(month: Month) -> dict:
    settings = get_settings()
    summary = close_month(
        UnitOfWork(),
        month,
        get_mailer(),
        today=local_today(settings.tz),
        fallback_head_email=settings.cs_head_email,
        now=utcnow(),
    )
    data = asdict(summary)
    data["missed_list"] = [e.as_row() for e in summary.missed_list]
    return data
