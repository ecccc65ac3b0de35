"""Deliver the outbox: one batched task with retries (never one task per mail)."""

from __future__ import annotations

from prefect import get_run_logger, task

from careops.db.engine import get_engine
from careops.errors import DeliveryError
from careops.mail.delivery import deliver_pending
from careops.settings import get_settings


@task(name="deliver-outbox", retries=3, retry_delay_seconds=[5, 20, 60])
def deliver_outbox_task() -> dict:
    """Send every due outbox message. Raises (so the task retries) while mail is stuck."""
    settings = get_settings()
    report = deliver_pending(get_engine(), settings.smtp)
    logger = get_run_logger()
    logger.info("outbox: %d sent, %d retry later, %d failed", report.sent, report.retry_later,
                report.failed)
    if report.retry_later or report.failed:
        raise DeliveryError(
            f"{report.retry_later + report.failed} mail(s) not delivered yet (they stay in the "
            f"outbox and are retried): {'; '.join(report.errors[:3])}"
        )
    return {"sent": report.sent, "retry_later": report.retry_later, "failed": report.failed}
