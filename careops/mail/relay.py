"""The outbox relay: a long-running process that delivers outbox mail as soon as it is due.

Why a process and not a Prefect schedule: a deployment polling the outbox every two minutes
left ~720 mostly empty runs a day in the Prefect UI, burying the runs people need to read. The
relay polls the database instead (a cheap indexed query every `smtp.relay_interval_seconds`)
and leaves no run behind; the `deliver-outbox` deployment stays as an occasional safety sweep
and for ad-hoc use. Several relays (one per machine) are safe at once: deliveries claim
messages with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so each mail goes out once.

The embedded stack starts one (`python -m careops.mail.relay`); on scale-out run it as a
service next to a worker. It logs one line per batch it sent and one when SMTP goes down or
comes back, never a line per idle poll.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from careops.mail.delivery import DeliveryReport, deliver_pending
from careops.settings import SmtpSettings

log = logging.getLogger("careops.relay")


@dataclass
class RelayState:
    """What the relay last saw, so it reports changes rather than every poll."""

    unreachable: str | None = None
    database_error: str | None = None


Notify = Callable[[DeliveryReport], bool]


def relay_once(
    engine: Engine, smtp: SmtpSettings, state: RelayState, notify: Notify | None = None
) -> DeliveryReport | None:
    """Deliver what is due now; log what changed. Never raises for SMTP or database faults.

    `notify` (when SMTP answered) queues and sends the ops notice of failed mail, once per
    failure episode (careops.services.operations.outbox_delivery.notify_failed_mail).
    """
    try:
        report = deliver_pending(engine, smtp)
        if notify is not None and not report.unreachable and notify(report):
            log.warning("outbox relay: mail failed for good; ops mailed (careops outbox list)")
    except Exception as exc:  # noqa: BLE001 - a relay outlives a passing database fault
        text = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if text != state.database_error:
            log.error("outbox relay: cannot read the outbox (%s); retrying", text)
            state.database_error = text
        return None
    if state.database_error:
        log.info("outbox relay: database reachable again")
        state.database_error = None
    if not (report.unreachable or report.sent or report.retry_later or report.failed):
        return report  # nothing was due (e.g. all waiting out their backoff): SMTP not asked
    if report.unreachable and report.unreachable != state.unreachable:
        log.warning("outbox relay: SMTP unreachable (%s); mail waits in the outbox",
                    report.unreachable)
    elif not report.unreachable and state.unreachable:
        log.info("outbox relay: SMTP reachable again")
    state.unreachable = report.unreachable
    if report.sent or report.failed or report.retry_later:
        log.info("outbox relay: %d sent, %d to retry later, %d given up",
                 report.sent, report.retry_later, report.failed)
    return report


def run_relay(
    engine: Engine,
    smtp: SmtpSettings,
    stop: threading.Event,
    *,
    interval: float | None = None,
    notify: Notify | None = None,
) -> None:
    """Deliver every `interval` seconds until `stop` is set."""
    state = RelayState()
    wait = smtp.relay_interval_seconds if interval is None else interval
    log.info("outbox relay: delivering every %.0f s to %s:%d", wait, smtp.host, smtp.port)
    while not stop.is_set():
        relay_once(engine, smtp, state, notify)
        stop.wait(wait)
    log.info("outbox relay: stopped")


def main() -> int:
    """Entry point of `python -m careops.mail.relay`; SIGINT/SIGTERM stop it cleanly."""
    from careops.db.engine import get_engine
    from careops.settings import get_settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    from careops.bootstrap import get_mailer
    from careops.db.uow import UnitOfWork
    from careops.services.operations.outbox_delivery import notify_failed_mail

    settings = get_settings()
    engine = get_engine()

    def notify(report: DeliveryReport) -> bool:
        return notify_failed_mail(UnitOfWork(engine), settings, get_mailer(), report)

    run_relay(engine, settings.smtp, stop, notify=notify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
