"""Recording outcomes and closing a month (R1), on a real database and SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from careops.bootstrap import get_calendar, get_mailer
from careops.db.models.callbacks import Callback, CallbackOutcome, CallbackStatus
from careops.db.models.common import Customer, StaffRole
from careops.errors import CareopsError, InvalidTransition, NotFound
from careops.mail.delivery import deliver_pending
from careops.months import Month
from careops.services.callbacks.months import close_month
from careops.services.callbacks.outcomes import OutcomeInput, find_callback_id, record_outcome
from careops.services.callbacks.planning import plan_and_notify
from tests.support.factories import World

NOW = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
FEB = Month(2026, 2)


@pytest.fixture
def planned(uow, settings) -> dict[str, int]:
    world = World(uow)
    world.staff("CSH", role=StaffRole.HEAD, name="王主管")
    world.staff("CS1")
    c = world.customer("C1")
    for code, delivered in [
        ("A", date(2026, 1, 14)),
        ("B", date(2026, 1, 20)),
        ("C", date(2025, 11, 9)),
    ]:
        world.project(code, c, delivered)
    plan_and_notify(uow, FEB, get_calendar(), get_mailer(), NOW)
    with uow:
        return {cb.project.code: cb.id for cb in uow.session.scalars(select(Callback))}


def _close(uow, today=date(2026, 3, 1)):
    return close_month(
        uow, FEB, get_mailer(), today=today, fallback_head_email="head@fallback.test", now=NOW
    )


def test_record_outcome_marks_done(uow, planned):
    data = OutcomeInput(CallbackOutcome.REACHED, 4, "一切正常", "希望增加报表", "李雷")
    result = record_outcome(uow, planned["A"], data, NOW)
    assert result["changed"] and result["status"] == "done"
    with uow:
        cb = uow.session.get(Callback, planned["A"])
        assert (cb.status, cb.outcome, cb.satisfaction, cb.issues_raised) == (
            CallbackStatus.DONE,
            CallbackOutcome.REACHED,
            4,
            "希望增加报表",
        )
        assert cb.recorded_at == NOW


def test_repeating_the_same_record_is_harmless_changing_it_is_refused(uow, planned):
    data = OutcomeInput(CallbackOutcome.REACHED, 5)
    record_outcome(uow, planned["A"], data, NOW)
    assert record_outcome(uow, planned["A"], data, NOW)["changed"] is False
    with pytest.raises(InvalidTransition, match="already recorded as reached"):
        record_outcome(uow, planned["A"], OutcomeInput(CallbackOutcome.DECLINED), NOW)


@pytest.mark.parametrize(
    ("callback", "data", "error", "match"),
    [
        (
            "A",
            OutcomeInput(CallbackOutcome.REACHED, 6),
            CareopsError,
            "satisfaction must be 1 to 5",
        ),
        (None, OutcomeInput(CallbackOutcome.REACHED), NotFound, "no callback with id 999999"),
    ],
)
def test_bad_records_are_refused(uow, planned, callback, data, error, match):
    with pytest.raises(error, match=match):
        record_outcome(uow, planned[callback] if callback else 999999, data, NOW)


def test_find_by_project_code(uow, planned):
    assert find_callback_id(uow, "B", FEB) == planned["B"]
    with pytest.raises(NotFound, match="unknown project 'ZZZ'"):
        find_callback_id(uow, "ZZZ", None)


def test_customer_asking_for_no_calls_gets_none_later(uow, planned):
    record_outcome(
        uow, planned["A"], OutcomeInput(CallbackOutcome.DECLINED, no_more_calls=True), NOW
    )
    with uow:
        assert uow.session.scalars(select(Customer)).one().no_calls is True
        statuses = {c.project.code: c.status for c in uow.session.scalars(select(Callback))}
    # the customer's other projects due this month are not called either
    assert statuses == {
        "A": CallbackStatus.DONE,
        "B": CallbackStatus.CANCELLED,
        "C": CallbackStatus.CANCELLED,
    }
    result = plan_and_notify(uow, Month(2026, 3), get_calendar(), get_mailer(), NOW)
    assert result.created == 0


def test_close_marks_open_missed_and_mails_head_once(uow, planned, smtp, settings):
    record_outcome(uow, planned["A"], OutcomeInput(CallbackOutcome.REACHED, 4), NOW)
    record_outcome(uow, planned["B"], OutcomeInput(CallbackOutcome.NOT_REACHED), NOW)

    summary = _close(uow)
    deliver_pending(uow.engine, settings.smtp)
    again = _close(uow)
    deliver_pending(uow.engine, settings.smtp)

    assert (summary.planned, summary.done, summary.missed, summary.newly_missed) == (3, 2, 1, 1)
    assert summary.average_satisfaction == 4 and again.newly_missed == 0
    (mail,) = [m for m in smtp.to("csh@careops.test") if "回访月报" in m.subject]
    assert "计划 3，完成 2，未完成 1" in mail.subject
    assert "王主管" in mail.text() and "项目C" in mail.text()
    with uow:
        assert uow.session.get(Callback, planned["C"]).status == CallbackStatus.MISSED


def test_missed_callback_does_not_stop_the_next_one(uow, planned):
    _close(uow)
    plan_and_notify(uow, Month(2026, 3), get_calendar(), get_mailer(), NOW)
    with uow:
        seqs = uow.session.scalars(
            select(Callback.seq)
            .where(Callback.project_id == uow.session.get(Callback, planned["C"]).project_id)
            .order_by(Callback.seq)
        ).all()
    assert seqs == [3, 4]


def test_a_missed_callback_can_still_be_recorded_late(uow, planned):
    _close(uow)
    result = record_outcome(uow, planned["C"], OutcomeInput(CallbackOutcome.REACHED, 3), NOW)
    assert result["status"] == "done"


def test_month_cannot_be_closed_before_it_ends(uow, planned):
    with pytest.raises(CareopsError, match="2026-02 has not ended yet"):
        _close(uow, today=date(2026, 2, 28))
