"""R1 outcomes as a history of attempts; closed months; what `record --project` picks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from careops.bootstrap import get_calendar, get_mailer
from careops.db.models.callbacks import (
    Callback,
    CallbackAttempt,
    CallbackMonth,
    CallbackOutcome,
    CallbackStatus,
)
from careops.db.models.common import Project, StaffRole
from careops.errors import CareopsError, InvalidTransition, NotFound
from careops.months import Month
from careops.services.callbacks.months import close_month
from careops.services.callbacks.outcomes import OutcomeInput, find_callback_id, record_outcome
from careops.services.callbacks.planning import plan_and_notify
from tests.support.factories import World

FEB, MAY = Month(2026, 2), Month(2026, 5)
IN_FEB = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
IN_MAY = datetime(2026, 5, 12, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
REACHED, NOT_REACHED, DECLINED = (
    CallbackOutcome.REACHED, CallbackOutcome.NOT_REACHED, CallbackOutcome.DECLINED
)


@pytest.fixture
def two_months(uow, settings) -> dict[str, int]:
    """Project A (delivered 2026-01-14) has a callback in February and one in May."""
    world = World(uow)
    world.staff("CSH", role=StaffRole.HEAD)
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    plan_and_notify(uow, FEB, get_calendar(), get_mailer(), IN_FEB)
    plan_and_notify(uow, MAY, get_calendar(), get_mailer(), IN_FEB)
    with uow:
        return {cb.month: cb.id for cb in uow.session.scalars(select(Callback))}


def _close(uow, month=FEB, today=date(2026, 3, 1)):
    return close_month(uow, month, get_mailer(), today=today,
                       fallback_head_email="head@fallback.test", now=IN_MAY)


def _attempts(uow, callback_id: int) -> list[tuple]:
    with uow:
        return [
            (a.seq, a.outcome, a.satisfaction, a.late)
            for a in uow.session.scalars(
                select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id)
                .order_by(CallbackAttempt.seq)
            )
        ]


def test_record_by_project_picks_the_open_callback_not_a_missed_one(uow, two_months):
    _close(uow)
    assert find_callback_id(uow, "A", None) == two_months["2026-05"]
    record_outcome(uow, two_months["2026-05"], OutcomeInput(REACHED, 5), IN_MAY)
    with uow:
        statuses = {c.month: c.status for c in uow.session.scalars(select(Callback))}
    assert statuses == {"2026-02": CallbackStatus.MISSED, "2026-05": CallbackStatus.DONE}
    with pytest.raises(NotFound, match="'A' has no open callback; .*late, give --id"):
        find_callback_id(uow, "A", None)


def test_a_closed_months_callback_needs_its_id_and_is_flagged_late(uow, two_months):
    _close(uow)
    feb = two_months["2026-02"]
    with pytest.raises(CareopsError, match=rf"2026-02 is closed.*give --id {feb}"):
        find_callback_id(uow, "A", FEB)

    result = record_outcome(uow, feb, OutcomeInput(REACHED, 3), IN_MAY)

    assert result["late"] and "2026-02 was closed" in result["late"]
    assert _attempts(uow, feb) == [(1, REACHED, 3, True)]


def test_not_reached_then_reached_keeps_both_attempts(uow, two_months):
    feb = two_months["2026-02"]
    first = record_outcome(uow, feb, OutcomeInput(NOT_REACHED, recorded_by="李雷"), IN_FEB)
    assert first["status"] == "open" and first["attempts"] == 1
    assert find_callback_id(uow, "A", None) == feb  # still the one to call

    second = record_outcome(uow, feb, OutcomeInput(REACHED, 4, recorded_by="李雷"), IN_FEB)

    assert second["status"] == "done" and second["outcome"] == "reached"
    assert second["attempts"] == 2 and second["changed"]
    assert _attempts(uow, feb) == [(1, NOT_REACHED, None, False), (2, REACHED, 4, False)]
    with uow:
        callback = uow.session.get(Callback, feb)
        assert (callback.outcome, callback.satisfaction) == (REACHED, 4)


def test_two_unanswered_calls_are_two_attempts(uow, two_months):
    feb = two_months["2026-02"]
    record_outcome(uow, feb, OutcomeInput(NOT_REACHED), IN_FEB)
    record_outcome(uow, feb, OutcomeInput(NOT_REACHED), IN_FEB)
    assert [a[1] for a in _attempts(uow, feb)] == [NOT_REACHED, NOT_REACHED]


def test_a_retried_request_records_one_attempt(uow, two_months):
    feb = two_months["2026-02"]
    record_outcome(uow, feb, OutcomeInput(NOT_REACHED), IN_FEB, key="flow-run-1")
    again = record_outcome(uow, feb, OutcomeInput(NOT_REACHED), IN_FEB, key="flow-run-1")
    assert again["changed"] is False and len(_attempts(uow, feb)) == 1


@pytest.mark.parametrize("final", [REACHED, DECLINED])
def test_reached_and_declined_are_final(uow, two_months, final):
    feb = two_months["2026-02"]
    record_outcome(uow, feb, OutcomeInput(final), IN_FEB)
    with pytest.raises(InvalidTransition, match=f"already recorded as {final}.*final"):
        record_outcome(uow, feb, OutcomeInput(NOT_REACHED), IN_FEB)
    assert len(_attempts(uow, feb)) == 1


def test_times_in_messages_are_shanghai_time(uow, two_months):
    feb = two_months["2026-02"]
    record_outcome(uow, feb, OutcomeInput(REACHED, 5, recorded_by="李雷"), IN_FEB)
    with pytest.raises(InvalidTransition) as refused:
        record_outcome(uow, feb, OutcomeInput(DECLINED), IN_FEB)
    assert "by 李雷 at 2026-02-10 11:00" in str(refused.value)
    assert "Z" not in str(refused.value) and "03:00" not in str(refused.value)


def test_a_cancelled_callback_takes_no_outcome(uow, two_months):
    with uow:
        uow.session.scalars(select(Project)).one().retired_on = date(2026, 2, 1)
        uow.commit()
    plan_and_notify(uow, FEB, get_calendar(), get_mailer(), IN_FEB)  # cancels the stale one
    feb = two_months["2026-02"]
    with pytest.raises(InvalidTransition, match=f"callback {feb} .*was cancelled"):
        record_outcome(uow, feb, OutcomeInput(REACHED, 5), IN_FEB)
    with uow:
        assert uow.session.get(Callback, feb).status == CallbackStatus.CANCELLED
    assert _attempts(uow, feb) == []


@pytest.mark.parametrize("outcome", [NOT_REACHED, DECLINED])
def test_satisfaction_needs_a_reached_customer(uow, two_months, outcome):
    with pytest.raises(CareopsError, match=f"satisfaction.*only.*reached.*not {outcome}"):
        record_outcome(uow, two_months["2026-02"], OutcomeInput(outcome, 4), IN_FEB)
    assert _attempts(uow, two_months["2026-02"]) == []


def test_recording_a_callback_due_in_a_later_month_warns(uow, two_months):
    result = record_outcome(uow, two_months["2026-05"], OutcomeInput(REACHED, 5), IN_FEB)
    assert result["changed"]
    (warning,) = result["warnings"]
    assert "due 2026-05-14" in warning and "2026-02" in warning


def test_closing_a_month_done_for_tried_missed_for_untouched(uow, two_months, settings):
    world = World(uow)
    world.project("B", world.customer("C2"), date(2026, 1, 20))
    plan_and_notify(uow, FEB, get_calendar(), get_mailer(), IN_FEB)
    b = find_callback_id(uow, "B", FEB)
    record_outcome(uow, b, OutcomeInput(NOT_REACHED), IN_FEB)

    summary = _close(uow)

    assert (summary.done, summary.missed, summary.outcomes) == (1, 1, {"not_reached": 1})
    with uow:
        assert uow.session.get(Callback, b).status == CallbackStatus.DONE
        closed = uow.session.get(CallbackMonth, "2026-02")
        assert closed.planned_at == IN_FEB and closed.closed_at == IN_MAY


def test_replanning_a_closed_month_is_refused(uow, two_months):
    _close(uow)
    World(uow).project("LATE", World(uow).customer("C9"), date(2026, 1, 5))
    with pytest.raises(CareopsError, match="2026-02 was closed on 2026-05-12 10:30"):
        plan_and_notify(uow, FEB, get_calendar(), get_mailer(), IN_MAY)
    with uow:
        assert uow.session.scalars(
            select(Callback).join(Project).where(Project.code == "LATE")
        ).all() == []
