"""A server that refuses one recipient at RCPT and accepts the others (issue 17, item 2): the
refused address is recorded, retried or failed like a whole message, and a retry goes only to
the recipients still owed, never again to those that accepted it. Real aiosmtpd on loopback."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from careops.bootstrap import get_mailer
from careops.clock import FrozenClock
from careops.db.models.outbox import OutboxMessage
from careops.db.uow import UnitOfWork
from careops.mail.relay import RelayState, relay_once
from careops.services.operations import outbox_admin
from careops.services.operations.outbox_delivery import deliver_outbox, describe, notify_failed_mail

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B, C = "a@careops.test", "b@careops.test", "c@careops.test"
OPS = "ops@careops.local"


@pytest.fixture
def two_tries(settings):
    """The test settings, giving up after 2 attempts, 60 s apart."""
    smtp = settings.smtp.model_copy(update={"max_attempts": 2, "backoff_seconds": 60.0})
    return settings.model_copy(update={"smtp": smtp})


def _queue_to_three(uow: UnitOfWork) -> int:
    with uow:
        get_mailer().queue(
            uow.session, key="three", template="ops_failure", to=[A, B, C],
            context={"flow_name": "f", "flow_run_name": "r", "state": "Failed",
                     "message": "m", "run_url": "http://x"},
            now=T0,
        )
        uow.commit()
        return uow.session.query(OutboxMessage.id).filter_by(key="three").scalar()


def _received(smtp) -> Counter:
    """How many times each address received the mail (by envelope)."""
    return Counter(to for m in smtp.messages if m.subject for to in m.envelope_to if to != OPS)


def test_550_for_one_of_three_fails_that_one_and_ops_hear_once(uow, two_tries, smtp):
    message_id = _queue_to_three(uow)
    smtp.refuse(C, "550 5.1.1 no such user here")
    clock = FrozenClock(T0)

    first = deliver_outbox(uow, two_tries, get_mailer(), now=clock)
    assert (first.report.sent, first.report.retry_later, first.report.failed) == (0, 1, 0)
    assert _received(smtp) == {A: 1, B: 1}
    assert any(C in line for _lv, line in describe(first, SHANGHAI))
    info, _msg, recipients = outbox_admin.show_delivery(uow, message_id)
    assert info.status == "pending" and C in info.last_error
    assert recipients == [(A, "sent", "250 OK"), (B, "sent", "250 OK"),
                          (C, "pending", "550 5.1.1 no such user here")]

    clock.advance(minutes=2)  # the last attempt: only C is owed, and refused again
    second = deliver_outbox(uow, two_tries, get_mailer(), now=clock)
    assert second.report.failed == 1 and not second.ok and second.notice_queued
    assert [m.envelope_to for m in smtp.messages if m.envelope_to != [OPS]] == [[A, B]]
    assert _received(smtp) == {A: 1, B: 1}  # never twice to those that accepted it
    (level, line), *_ = describe(second, SHANGHAI)
    assert level == "error" and C in line and "550 5.1.1 no such user here" in line
    info, _msg, recipients = outbox_admin.show_delivery(uow, message_id)
    assert info.status == "failed" and info.attempts == 2
    assert f"refused by the server: {C} (550" in info.last_error
    assert "delivered to the other 2 recipient(s)" in info.last_error
    assert [state for _a, state, _r in recipients] == ["sent", "sent", "failed"]
    (notice,) = smtp.to(OPS)
    assert C in notice.text() and "550" in notice.text()

    clock.advance(minutes=5)  # the same episode: ops are not told again
    assert not deliver_outbox(uow, two_tries, get_mailer(), now=clock).notice_queued
    assert len(smtp.to(OPS)) == 1

    smtp.accept(C)  # fixed; ops retry: only C is owed
    assert outbox_admin.retry(uow, [message_id], clock()) == [message_id]
    resent = deliver_outbox(uow, two_tries, get_mailer(), now=clock)
    assert resent.report.sent == 1 and resent.ok
    assert _received(smtp) == {A: 1, B: 1, C: 1}
    _info, _msg, recipients = outbox_admin.show_delivery(uow, message_id)
    assert {state for _a, state, _r in recipients} == {"sent"}


def test_450_then_accepted_goes_to_that_one_only_with_the_same_message_id(
    uow, two_tries, smtp
):
    message_id = _queue_to_three(uow)
    smtp.refuse(B, "450 4.2.1 mailbox busy, try later")
    clock = FrozenClock(T0)
    first = deliver_outbox(uow, two_tries, get_mailer(), now=clock)
    assert first.report.retry_later == 1 and first.ok
    assert _received(smtp) == {A: 1, C: 1}

    smtp.accept(B)
    clock.advance(seconds=59)  # not due before its backoff
    assert deliver_outbox(uow, two_tries, get_mailer(), now=clock).report.sent == 0
    clock.advance(seconds=1)
    later = deliver_outbox(uow, two_tries, get_mailer(), now=clock)
    assert later.report.sent == 1 and later.ok and later.state.pending == 0
    deliveries = [m for m in smtp.messages if m.envelope_to != [OPS]]
    assert [m.envelope_to for m in deliveries] == [[A, C], [B]]
    assert len({str(m.message["Message-ID"]) for m in deliveries}) == 1
    info, _msg, recipients = outbox_admin.show_delivery(uow, message_id)
    assert info.status == "sent" and info.last_error is None
    assert recipients == [(A, "sent", "250 OK"), (B, "sent", "250 OK"), (C, "sent", "250 OK")]
    assert smtp.to(OPS) == []


def test_the_relay_records_refused_recipients_too(uow, settings, smtp, caplog):
    """The relay delivers through the same code: one refused, the others once, ops mailed."""
    message_id = _queue_to_three(uow)
    smtp.refuse(A, "550 5.7.1 relaying denied")
    once = settings.smtp.model_copy(update={"max_attempts": 1})
    ops_settings = settings.model_copy(update={"smtp": once})

    def notify(report):
        return notify_failed_mail(uow, ops_settings, get_mailer(), report)

    with caplog.at_level(logging.INFO, logger="careops.relay"):
        report = relay_once(uow.engine, once, RelayState(), notify)
    assert report is not None and report.failed == 1 and A in report.errors[0]
    assert _received(smtp) == {B: 1, C: 1}
    assert len(smtp.to(OPS)) == 1 and "ops mailed" in caplog.text
    info, _msg, recipients = outbox_admin.show_delivery(uow, message_id)
    assert info.status == "failed" and recipients[0] == (A, "failed", "550 5.7.1 relaying denied")
