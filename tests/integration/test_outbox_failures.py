"""Failed mail is visible and recoverable; ops hear once per failure episode, once SMTP works
again; a crashed delivery's leases are named with their expiry (issue 13, defects 2 and 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from careops import outbox
from careops.bootstrap import get_mailer
from careops.clock import FrozenClock
from careops.db.models.outbox import OutboxStatus
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.services.operations import outbox_admin
from careops.services.operations.outbox_delivery import deliver_outbox, describe
from tests.support.smtp import free_port

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _queue(uow: UnitOfWork, *names: str) -> None:
    with uow:
        for name in names:
            get_mailer().queue(
                uow.session, key=f"k-{name}", template="ops_failure", to=[f"{name}@careops.test"],
                context={"flow_name": "f", "flow_run_name": name, "state": "Failed",
                         "message": "客户 张三 13912345678", "run_url": "http://x"},
                now=T0,
            )
        uow.commit()


@pytest.fixture
def down(settings):
    """The same settings with nobody listening on the SMTP port, giving up after 2 attempts."""
    smtp = settings.smtp.model_copy(update={"port": free_port(), "max_attempts": 2,
                                            "backoff_seconds": 60.0})
    return settings.model_copy(update={"smtp": smtp})


def test_given_up_mail_is_listed_retried_and_ops_are_told_once(uow, settings, down, smtp):
    _queue(uow, "a", "b")
    clock = FrozenClock(T0)
    first = deliver_outbox(uow, down, get_mailer(), now=clock)
    assert first.report.unreachable and first.state.pending == 2
    [(level, line)] = describe(first, SHANGHAI)
    # attempt 1 failed at 09:00 Shanghai; attempt 2 (the last) is due 60 s later
    assert level == "warning" and "retried automatically with backoff until " in line
    assert "2026-12-01 09:01:00 (Asia/Shanghai)" in line and "careops outbox list" in line

    clock.advance(minutes=2)
    second = deliver_outbox(uow, down, get_mailer(), now=clock)
    assert second.report.failed == 2 and not second.notice_queued  # SMTP is still down
    assert [lv for lv, _ in describe(second, SHANGHAI)] == ["error"]
    failed, total = outbox_admin.list_messages(uow, [OutboxStatus.FAILED])
    assert total == 2 and {m.recipients for m in failed} == {"a@careops.test", "b@careops.test"}
    assert all("unreachable" in m.last_error for m in failed)

    clock.advance(minutes=1)
    back = deliver_outbox(uow, settings, get_mailer(), now=clock)  # SMTP answers again
    assert back.notice_queued and back.report.sent == 1
    (notice,) = smtp.to("ops@careops.local")
    assert "2" in notice.subject and "careops outbox retry" in notice.text()
    assert "13912345678" not in notice.text()  # ids, categories and errors only
    assert not deliver_outbox(uow, settings, get_mailer(), now=clock).notice_queued  # once

    assert outbox_admin.retry(uow, None, clock()) == sorted(m.id for m in failed)
    resent = deliver_outbox(uow, settings, get_mailer(), now=clock)
    assert resent.report.sent == 2 and resent.state.failed == 0 and resent.ok
    assert len(smtp.to("a@careops.test")) == 1

    # a new episode: told again
    _queue(uow, "c")
    clock.advance(minutes=1)
    deliver_outbox(uow, down, get_mailer(), now=clock)
    clock.advance(minutes=2)
    deliver_outbox(uow, down, get_mailer(), now=clock)
    assert deliver_outbox(uow, settings, get_mailer(), now=clock).notice_queued
    assert len(smtp.to("ops@careops.local")) == 2


def test_retry_refuses_mail_that_is_not_failed_and_can_redirect(uow, settings, smtp):
    _queue(uow, "a")
    [message], _ = outbox_admin.list_messages(uow)
    with pytest.raises(CareopsError, match=f"message {message.id} is pending"):
        outbox_admin.retry(uow, [message.id], T0)
    with pytest.raises(CareopsError, match="no outbox message 999"):
        outbox_admin.retry(uow, [999], T0)
    with uow.engine.begin() as conn:
        conn.execute(outbox._T.update().values(status=OutboxStatus.FAILED))
    with pytest.raises(CareopsError, match="is not an e-mail address"):
        outbox_admin.retry(uow, [message.id], T0, to=["a,b@careops.test"])
    outbox_admin.retry(uow, [message.id], T0, to=["fixed@careops.test"])
    assert deliver_outbox(uow, settings, get_mailer()).report.sent == 1
    (received,) = smtp.messages
    assert received.envelope_to == ["fixed@careops.test"]
    assert received.message["To"] == "fixed@careops.test"


def test_a_rerun_after_a_crash_names_the_leased_mail_and_its_expiry(uow, settings, smtp):
    _queue(uow, "a", "b")
    now = datetime.now(UTC)
    claimed = outbox.claim_due(uow.engine, limit=10, now=now, lease=timedelta(minutes=5))
    assert len(claimed) == 2  # ... and the deliverer is killed here

    rerun = deliver_outbox(uow, settings, get_mailer(), now=lambda: now + timedelta(seconds=5))
    assert rerun.report.sent == 0 and rerun.state.leased == 2
    [(level, line)] = describe(rerun, SHANGHAI)
    expiry = (now + timedelta(minutes=5)).astimezone(SHANGHAI)
    assert level == "warning" and line.startswith("2 mail(s) are being sent by another delivery")
    assert f"leased until {expiry:%Y-%m-%d %H:%M:%S} (Asia/Shanghai), then retried" in line

    later = deliver_outbox(uow, settings, get_mailer(), now=lambda: now + timedelta(minutes=6))
    assert later.report.sent == 2 and later.state.leased == 0 and describe(later, SHANGHAI) == []
