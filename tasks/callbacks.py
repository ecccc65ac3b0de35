"""R1 callback tasks: each is one unit of work in careops.services, safe to retry."""

from __future__ import annotations

from dataclasses import asdict

from prefect import task

from careops.bootstrap import get_calendar, get_mailer
from careops.clock import local_today, utcnow
from careops.db.uow import UnitOfWork
from careops.months import Month
from careops.services import callbacks as service
from careops.services.callback_planning import plan_month, queue_call_lists
from careops.settings import get_settings


@task(retries=2, retry_delay_seconds=[5, 30])
def plan_month_task(month: str) -> dict:
    """Create and assign the month's callbacks (one transaction)."""
    result = plan_month(UnitOfWork(), Month.parse(month), get_calendar(), utcnow())
    return {
        "created": result.created,
        "already_planned": result.already_planned,
        "cancelled": result.cancelled,
    }


@task(retries=2, retry_delay_seconds=[5, 30])
def queue_call_lists_task(month: str) -> dict:
    """Queue each assignee's list of not-yet-notified callbacks (one transaction)."""
    lists, entries = queue_call_lists(UnitOfWork(), Month.parse(month), get_mailer(), utcnow())
    return {
        "call_lists": [asdict(c) for c in lists],
        "planned": [e.as_row() for e in entries],
    }


@task(retries=2, retry_delay_seconds=[5, 30])
def record_outcome_task(callback_id: int, data: service.OutcomeInput) -> dict:
    return service.record_outcome(UnitOfWork(), callback_id, data, utcnow())


@task
def find_callback_task(project_code: str, month: str | None) -> int:
    return service.find_callback_id(
        UnitOfWork(), project_code, Month.parse(month) if month else None
    )


@task(retries=2, retry_delay_seconds=[5, 30])
def close_month_task(month: str) -> dict:
    settings = get_settings()
    summary = service.close_month(
        UnitOfWork(),
        Month.parse(month),
        get_mailer(),
        today=local_today(settings.tz),
        fallback_head_email=settings.cs_head_email,
        now=utcnow(),
    )
    data = asdict(summary)
    data["missed_list"] = [e.as_row() for e in summary.missed_list]
    return data
