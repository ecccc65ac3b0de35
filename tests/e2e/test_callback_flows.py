"""The R1 flows run under Prefect (one session-scoped test server) end to end."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, ArtifactFilterType
from sqlalchemy import select

from careops.db.models.callbacks import Callback, CallbackStatus
from careops.db.models.common import StaffRole
from careops.db.uow import UnitOfWork
from flows.close_callback_month import CloseMonthParams, close_callback_month
from flows.plan_callbacks import PlanCallbacksParams, plan_callbacks
from flows.record_callback import CallbackRecord, record_callback
from tests.support.factories import World

pytestmark = pytest.mark.usefixtures("prefect")


@pytest.fixture
def world(sqlite_settings) -> World:
    world = World(UnitOfWork())
    world.staff("CSH", role=StaffRole.HEAD)
    world.staff("CS1")
    customer = world.customer("C1")
    world.project("A", customer, date(2026, 1, 14))
    world.project("B", customer, date(2025, 11, 9))
    return world


def _artifact_keys() -> set[str]:
    async def fetch():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="callback"))
            )
            return {a.key for a in found}

    return asyncio.run(fetch())


def _progress_values() -> list[float]:
    async def fetch():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"]))
            )
            return [float(a.data) for a in found]

    return asyncio.run(fetch())


def test_plan_record_close_through_the_flows(world, smtp):
    result = plan_callbacks(PlanCallbacksParams(month="2026-02"))
    assert result["created"] == 2 and result["delivery"]["sent"] == 2
    assert {m.envelope_to[0] for m in smtp.messages} == {"csh@careops.test", "cs1@careops.test"}
    assert {"callback-plan-2026-02", "callback-plan-summary-2026-02"} <= _artifact_keys()
    assert 100.0 in _progress_values()

    again = plan_callbacks(PlanCallbacksParams(month="2026-02"))
    assert again["created"] == 0 and len(smtp.messages) == 2

    recorded = record_callback(CallbackRecord(project_code="A", month="2026-02",
                                              outcome="reached", satisfaction=5))
    assert recorded["status"] == "done"

    summary = close_callback_month(CloseMonthParams(month="2026-02"))
    assert (summary["done"], summary["missed"]) == (1, 1)
    assert any("回访月报" in m.subject for m in smtp.to("csh@careops.test"))
    with UnitOfWork() as uow:
        statuses = {c.project.code: c.status for c in uow.session.scalars(select(Callback))}
    assert statuses == {"A": CallbackStatus.DONE, "B": CallbackStatus.MISSED}


def test_record_form_needs_a_callback_or_a_project():
    with pytest.raises(ValueError, match="callback number or the project code"):
        CallbackRecord(outcome="reached")


def test_scheduled_run_waits_for_the_first_working_day(world, smtp, monkeypatch):
    import flows.plan_callbacks as module

    monkeypatch.setattr(module, "local_today", lambda tz: date(2026, 10, 1))  # National Day
    result = plan_callbacks()
    assert result == {"month": "2026-10", "skipped": "first working day is 2026-10-08"}
    assert smtp.messages == []


def test_scheduled_run_plans_a_month_an_earlier_run_failed_to_plan(world, smtp, monkeypatch):
    import flows.plan_callbacks as module

    # 2026-02-02 is February's first working day; its run failed, so nothing is planned
    monkeypatch.setattr(module, "local_today", lambda tz: date(2026, 2, 3))
    result = plan_callbacks()
    assert result["month"] == "2026-02" and result["created"] == 2

    again = plan_callbacks()
    assert again["month"] == "2026-02" and "already planned" in again["skipped"]
    assert len(smtp.messages) == 2


def test_scheduled_run_before_the_first_working_day_still_waits(world, smtp, monkeypatch):
    import flows.plan_callbacks as module

    monkeypatch.setattr(module, "local_today", lambda tz: date(2026, 2, 1))  # a Sunday
    assert plan_callbacks() == {"month": "2026-02", "skipped": "first working day is 2026-02-02"}


def test_record_form_refuses_a_score_without_a_reached_customer():
    with pytest.raises(ValueError, match="satisfaction"):
        CallbackRecord(callback_id=1, outcome="not_reached", satisfaction=4)


def test_record_flow_keeps_attempts(world, smtp):
    plan_callbacks(PlanCallbacksParams(month="2026-02"))
    first = record_callback(CallbackRecord(project_code="A", outcome="not_reached"))
    second = record_callback(CallbackRecord(project_code="A", outcome="reached", satisfaction=4))
    assert (first["status"], first["attempts"]) == ("open", 1)
    assert (second["status"], second["attempts"], second["callback_id"]) == (
        "done", 2, first["callback_id"]
    )
