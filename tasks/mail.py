"""Deliver the outbox: one batched task with retries (never one task per mail)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from prefect import get_run_logger, task

from careops.bootstrap import get_mailer
from careops.db.uow import UnitOfWork
from careops.errors import MailGivenUp, SmtpConfigError, SmtpUnreachable
from careops.services.operations.outbox_delivery import DeliverySummary, deliver_outbox, describe
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown


def _retry_unless_final(_task, _task_run, state) -> bool:
    """Retry an unreachable server; mail given up or unusable settings do not get better."""
    error = state.result(raise_on_failure=False)
    return not isinstance(error, MailGivenUp | SmtpConfigError)


@task(
    name="deliver-outbox", retries=3, retry_delay_seconds=[5, 20, 60],
    retry_condition_fn=_retry_unless_final,
)
def deliver_outbox_task() -> dict:
    """Send every due outbox message.

    An unreachable SMTP server raises, so the task retries and the run shows the outage; the
    mail stays in the outbox either way and is retried with backoff. Mail given up in this run
    (after `smtp.max_attempts`) fails the run and is counted in the `deliver-outbox` artifact;
    ops get one mail per failure episode once SMTP answers
    (careops.services.operations.outbox_delivery).
    """
    settings = get_settings()
    summary = deliver_outbox(UnitOfWork(), settings, get_mailer())
    report, state = summary.report, summary.state
    logger = get_run_logger()
    logger.info("outbox: %d sent, %d to retry later, %d given up; %d waiting, %d failed in all",
                report.sent, report.retry_later, report.failed, state.waiting, state.failed)
    for level, line in describe(summary, settings.tz):
        (logger.error if level == "error" else logger.warning)(line)
    if report.sent or report.failed or state.waiting or state.failed or summary.config_error:
        _publish(summary, settings.tz)
    if summary.config_error:
        raise SmtpConfigError(summary.config_error)
    if report.failed:  # no retry of the task brings these back: fail the run now
        raise MailGivenUp(
            f"{report.failed} mail(s) failed for good: " + "; ".join(report.errors[:3])
            + "; see `careops outbox list --status failed`"
        )
    if report.unreachable:
        raise SmtpUnreachable(report.unreachable)
    return {"sent": report.sent, "retry_later": report.retry_later, "failed": report.failed,
            "waiting": state.waiting, "failed_in_outbox": state.failed}


def _publish(summary: DeliverySummary, tz: ZoneInfo) -> None:
    report, state = summary.report, summary.state
    rows = [
        {"": "sent in this run", "mails": report.sent},
        {"": "failed for good in this run", "mails": report.failed},
        {"": "waiting to be retried", "mails": state.pending},
        {"": "being sent (leased)", "mails": state.leased},
        {"": "failed in the outbox", "mails": state.failed},
    ]
    notes = "\n".join(f"- **{level}**: {line}" for level, line in describe(summary, tz))
    publish_markdown(
        "deliver-outbox",
        "# Outbox delivery\n\n" + markdown_table(rows) + ("\n" + notes + "\n" if notes else "")
        + ("\nOps were mailed about the failed mail.\n" if summary.notice_queued else ""),
        f"{report.sent} sent, {state.waiting} waiting, {state.failed} failed",
    )

