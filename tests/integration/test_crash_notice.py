"""The ops mail of a crashed run: once per run, saying whether it was retried."""

from __future__ import annotations

from sqlalchemy import select

from careops.bootstrap import get_mailer
from careops.crash_recovery import CrashedRun, notify_ops
from careops.db.models import OutboxMessage
from careops.mail.delivery import deliver_pending


def _crashed(**changes) -> CrashedRun:
    values = dict(
        id="7f0c",
        name="wakeup 12-02 09:05",
        flow_name="holiday-watch",
        deployment_id="d",
        state_type="CRASHED",
        message="No heartbeat for 90 s.",
        scheduled=True,
        is_retry=False,
        url="http://127.0.0.1:4200/runs/flow-run/7f0c",
    )
    return CrashedRun(**(values | changes))


def test_a_crashed_run_is_mailed_to_ops_once(uow, settings, smtp) -> None:
    run = _crashed()
    assert notify_ops(uow, get_mailer(), run, settings.ops_email, ("9a1b", "retry of x"))
    assert not notify_ops(uow, get_mailer(), run, settings.ops_email, ("9a1b", "retry of x"))
    adhoc = _crashed(id="8e2d", name="brave-otter", scheduled=False)
    assert notify_ops(uow, get_mailer(), adhoc, settings.ops_email, None)
    with uow:
        keys = sorted(uow.session.scalars(select(OutboxMessage.key)))
    assert keys == ["ops-crash:7f0c", "ops-crash:8e2d"]

    deliver_pending(uow.engine, settings.smtp)
    mails = smtp.to(settings.ops_email)
    assert len(mails) == 2
    by_run = {("wakeup 12-02 09:05" in m.subject): m.text() for m in mails}
    assert "Retried once: run retry of x" in by_run[True]
    assert "No heartbeat for 90 s." in by_run[True]
    assert "Not retried: an ad-hoc run" in by_run[False]
