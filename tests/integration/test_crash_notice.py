"""The ops mail of a crashed run: once per run, saying whether it was retried."""

from __future__ import annotations

from sqlalchemy import select

from careops.bootstrap import get_mailer
from careops.crash_recovery import notify_ops
from careops.db.models.outbox import OutboxMessage
from careops.mail.delivery import deliver_pending
from tests.support.factories import crashed_run


def test_a_crashed_run_is_mailed_to_ops_once(uow, settings, smtp) -> None:
    run = crashed_run()
    assert notify_ops(uow, get_mailer(), run, settings.ops_email, ("9a1b", "retry of x"))
    assert not notify_ops(uow, get_mailer(), run, settings.ops_email, ("9a1b", "retry of x"))
    adhoc = crashed_run(id="8e2d", name="brave-otter", scheduled=False)
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
