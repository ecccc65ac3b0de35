"""Flow hooks: mail the ops address when a run fails.

A crashed run is mailed by `recover-crashed-run` instead (careops/crash_recovery.py), once per
run whoever recorded the crash: a process killed outright runs no hook at all.

A failed ad-hoc run caused by bad input (a CareopsError, shown to the person who started it in
the UI) is not mailed; nor is mail given up by the outbox (ops get one notice per failure
episode from careops.services.operations.outbox_delivery); anything else is, at most once per
flow and hour. The notice goes through the outbox like every mail.
"""

from __future__ import annotations

import logging

from careops.bootstrap import get_mailer
from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, MailGivenUp
from careops.mail.delivery import deliver_pending
from careops.settings import get_settings

log = logging.getLogger(__name__)


def notify_ops_of_failure(flow, flow_run, state) -> None:
    try:
        error = state.result(raise_on_failure=False)
    except Exception as exc:  # the result itself may be unreadable
        error = exc
    if isinstance(error, CareopsError) and not getattr(flow_run, "auto_scheduled", False):
        return
    if isinstance(error, MailGivenUp):  # ops get one mail per failure episode from the outbox
        return
    settings = get_settings()
    try:
        from prefect.utilities.urls import url_for

        run_url = url_for(flow_run) or settings.base_url
    except Exception:
        run_url = settings.base_url
    try:
        uow = UnitOfWork()
        with uow:
            get_mailer().queue(
                uow.session,
                # one notice per flow per hour: a flow failing every few minutes is no storm
                key=f"ops-failure:{flow.name}:{utcnow():%Y-%m-%dT%H}",
                template="ops_failure",
                to=[settings.ops_email],
                context={
                    "flow_name": flow.name,
                    "flow_run_name": flow_run.name,
                    "state": state.name,
                    "message": f"{state.message or ''}\n{error!r}".strip(),
                    "run_url": run_url,
                },
            )
            uow.commit()
        deliver_pending(uow.engine, settings.smtp)
    except Exception:  # a hook must never mask the run's own failure
        log.exception("could not mail the failure of %s to %s", flow_run.name, settings.ops_email)


FAILURE_HOOKS = {"on_failure": [notify_ops_of_failure]}
