"""Deliver the outbox: one batched task with retries (never one task per mail)."""

from __future__ import annotations

from prefect import get_run_logger, task

from careops.db.engine import get_engine
from careops.errors import DeliveryError
from careops.mail.delivery import deliver_pending
from careops.settings import get_settings


@task(name="deliver-outbox", retries=3, retry_delay_seconds=[5, 20, 60])
def deliver_outbox_task() -> dict:
    """Send every due outbox message.

    An unreachable SMTP server raises, so the task retries and the run shows the outage; the
    mail stays in the outbox either way. A message the server refused is retried later with
    backoff by the deliver-outbox sweep; one given up after `smtp.max_attempts` fails the run,
    so ops hear of it.
    """
    settings = get_settings()
    report = deliver_pending(get_engine(), settings.smtp).check()
    logger = get_run_logger()
    logger.info("outbox: %d sent, %d to retry later, %d given up", report.sent,
                report.retry_later, report.failed)
    for error in report.errors:
        logger.warning("delivery error: %s", error)
    if report.failed:
        raise DeliveryError(
            f"{report.failed} mail(s) given up after {settings.smtp.max_attempts} attempts: "
            + "; ".join(report.errors[:3])
        )
    return {"sent": report.sent, "retry_later": report.retry_later, "failed": report.failed}
