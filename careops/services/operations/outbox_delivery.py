"""One delivery run as every caller needs it: send what is due, tell ops of failed mail once,
and say what is still waiting and until when.

Used by the deliver-outbox task, `careops outbox deliver`, every CLI command that mails and
(`notify_failed_mail`) the outbox relay.
Ops hear of failed mail (given up after `smtp.max_attempts`, or with no usable recipient) once
per failure episode (see `outbox_admin.failure_episode`): one `ops_outbox_failed` mail, queued
only once the SMTP server answers again (a notice queued during the outage would be lost in it),
besides the failed deliver-outbox run and its artifact in the Prefect UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from careops.clock import Clock, utcnow
from careops.db.uow import UnitOfWork
from careops.errors import SmtpConfigError
from careops.mail.delivery import DeliveryReport, deliver_pending, probe
from careops.mailer import Mailer
from careops.services.operations import outbox_admin
from careops.services.operations.outbox_admin import NOTICE_CATEGORY, OutboxState
from careops.settings import Settings

NOTICE_LISTED = 20


@dataclass(frozen=True)
class DeliverySummary:
    report: DeliveryReport
    state: OutboxState
    notice_queued: bool = False
    config_error: str | None = None  # the SMTP settings cannot be used (nothing was tried)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False if mail could not be sent now (unreachable, misconfigured or given up)."""
        report = self.report
        return not (report.unreachable or report.failed or self.config_error)


def deliver_outbox(
    uow: UnitOfWork, settings: Settings, mailer: Mailer, *, now: Clock = utcnow
) -> DeliverySummary:
    """Deliver everything due; queue (and send) the ops notice of a new failure episode."""
    try:
        report = deliver_pending(uow.engine, settings.smtp, now=now)
    except SmtpConfigError as exc:
        state = outbox_admin.outbox_state(uow, now(), settings.smtp)
        return DeliverySummary(DeliveryReport(), state, config_error=str(exc))
    queued = not report.unreachable and notify_failed_mail(uow, settings, mailer, report, now)
    state = outbox_admin.outbox_state(uow, now(), settings.smtp)
    return DeliverySummary(report, state, notice_queued=queued)


def notify_failed_mail(
    uow: UnitOfWork,
    settings: Settings,
    mailer: Mailer,
    report: DeliveryReport,
    now: Clock = utcnow,
) -> bool:
    """After a delivery run that reached SMTP: queue and send the ops notice of a new failure
    episode (True), or nothing (no failed mail, told already, SMTP down again)."""
    if not _queue_failure_notice(uow, settings, mailer, report, now()):
        return False
    again = deliver_pending(uow.engine, settings.smtp, now=now)
    report.sent += again.sent
    report.retry_later += again.retry_later
    report.failed += again.failed
    return True


def _queue_failure_notice(
    uow: UnitOfWork, settings: Settings, mailer: Mailer, report: DeliveryReport, now: datetime
) -> bool:
    episode = outbox_admin.failure_episode(uow)
    if episode is None:
        return False
    key, messages = episode
    if outbox_admin.key_exists(uow, key):
        return False  # told already
    if report.sent == 0 and probe(settings.smtp) is not None:
        return False  # SMTP still down: the next run that reaches it tells ops
    with uow:
        mailer.queue(
            uow.session,
            key=key,
            template=NOTICE_CATEGORY,
            category=NOTICE_CATEGORY,
            to=[settings.ops_email],
            context={
                "count": len(messages),
                "messages": [
                    {"id": m.id, "category": m.category, "attempts": m.attempts,
                     "error": (m.last_error or "")[:300]}
                    for m in messages[:NOTICE_LISTED]
                ],
                "more": max(0, len(messages) - NOTICE_LISTED),
                "max_attempts": settings.smtp.max_attempts,
            },
            now=now,
        )
        uow.commit()
    return True


def describe(summary: DeliverySummary, tz: ZoneInfo) -> list[tuple[str, str]]:
    """(level, line) pairs for people: `warning` for mail that waits, `error` for failed mail."""
    lines: list[tuple[str, str]] = []
    report, state = summary.report, summary.state
    if summary.config_error:
        lines.append(("error", f"mail not sent: {summary.config_error}; it is kept in the "
                               "outbox until this is fixed; see `careops outbox list`"))
    if report.failed:
        reason = "; ".join(report.errors[:3])
        lines.append(("error", f"{report.failed} mail(s) failed for good ({reason}); see "
                               "`careops outbox list --status failed`, then "
                               "`careops outbox retry`"))
    elif state.failed:
        lines.append(("warning", f"{state.failed} failed mail(s) in the outbox; see "
                                 "`careops outbox list --status failed`"))
    if state.pending and (report.unreachable or report.retry_later):
        reason = report.unreachable or "; ".join(report.errors[:3])
        lines.append(("warning", f"{state.pending} mail(s) not sent yet ({reason}); kept in "
                                 "the outbox and retried automatically with backoff until "
                                 f"{_local(state.retry_until, tz)}; see `careops outbox list`"))
    if state.leased:
        lines.append(("warning", f"{state.leased} mail(s) are being sent by another delivery, "
                                 "or were left by one that crashed: leased until "
                                 f"{_local(state.lease_until, tz)}, then retried; see "
                                 "`careops outbox list --status sending`"))
    return lines


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "now"
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M:%S} ({tz.key})"
