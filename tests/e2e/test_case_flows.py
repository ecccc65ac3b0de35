"""The R6 flows under Prefect: open-case (the UI's form) and case-deadlines, with the exact-time
scheduling of the next sweep against the test Prefect server."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    DeploymentFilter,
    DeploymentFilterName,
)

from careops.db.uow import UnitOfWork
from careops.rules.cases import CaseKind
from careops.wakeups import wakeup_minute
from flows.case_deadlines import case_deadlines
from flows.open_case import OpenCaseParams, open_case
from tests.integration.case_world import LATE_DECEMBER, LEADER, build_world, open_callback

pytestmark = pytest.mark.usefixtures("prefect")


def _artifacts(like: str) -> set[str]:
    async def fetch() -> set[str]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_=like)))
            return {a.key for a in found}

    return asyncio.run(fetch())


async def _make_sweep_deployment() -> None:
    async with get_client() as client:
        flow_id = await client.create_flow(case_deadlines)
        await client.create_deployment(flow_id=flow_id, name="case-deadlines")


async def _scheduled_sweeps() -> list[datetime]:
    async with get_client() as client:
        runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(
            name=DeploymentFilterName(any_=["case-deadlines"])))
        return sorted(r.expected_start_time for r in runs if r.state and r.state.is_scheduled())


def test_open_case_form_and_the_exactly_scheduled_sweep(sqlite_settings, smtp):
    build_world(UnitOfWork())
    asyncio.run(_make_sweep_deployment())
    received = datetime.now(UTC) - timedelta(minutes=30)
    params = OpenCaseParams(kind=CaseKind.CONSULTATION, taken_by="CS1", project_code="P-ALPHA",
                            text="怎么导出报表？", received_at=received)
    result = open_case(params)
    assert result["changed"] and open_case(params)["changed"] is False
    assert f"case-{result['case_id']}" in _artifacts("case-")
    # the 4 h warning of a 24 h consultation: one run scheduled at that minute, however often
    warn = wakeup_minute(received + timedelta(hours=20), datetime.now(UTC))
    assert asyncio.run(_scheduled_sweeps()) == [warn]

    suggestion = OpenCaseParams(kind=CaseKind.SUGGESTION, taken_by="CS1", customer_code="C1",
                                text="希望增加英文版")
    open_case(suggestion)
    assert smtp.to(LEADER)

    swept = case_deadlines()
    assert swept["warned"] == [] and swept["breached"] == []
    assert len(asyncio.run(_scheduled_sweeps())) == 1  # same next notice: no second run


def test_a_deadline_in_an_unpublished_year_completes_the_run_and_follows(
    sqlite_settings, smtp, tmp_path, monkeypatch, time_machine
):
    from careops import bootstrap
    from careops.settings import get_settings

    time_machine.move_to(LATE_DECEMBER, tick=True)  # taken before the promised 2027-01-05

    monkeypatch.setenv("CAREOPS_CALENDAR_DIR", str(tmp_path))  # 2027 unpublished here
    get_settings.cache_clear()
    bootstrap.reset()
    build_world(UnitOfWork())
    result = open_case(OpenCaseParams(kind=CaseKind.SUGGESTION, taken_by="CS1",
                                      customer_code="C1", text="希望增加英文版",
                                      promised_on=date(2027, 1, 5)))
    assert result["changed"] and result["due_at"] is None and result["due_pending_year"] == 2027
    assert any("2027.toml" in w for w in result["warnings"])
    assert len(smtp.to("ops@careops.local")) == 1 and smtp.to(LEADER)
    assert case_deadlines()["deadlines"] == []
    (tmp_path / "2027.toml").write_text("days_off = [2027-01-01]\n")
    swept = case_deadlines()
    assert swept["deadlines"] == [result["case_id"]]
    assert swept["next_notice_at"] == datetime(2027, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 local
    assert len(smtp.to("ops@careops.local")) == 1  # told once


def test_bad_intake_fails_the_run_with_the_reason(sqlite_settings):
    build_world(UnitOfWork())
    params = OpenCaseParams(kind=CaseKind.CONSULTATION, taken_by="CS1", project_code="P-ALPHA",
                            text="x", special=True, special_reason="y")
    with pytest.raises(Exception, match="only a complaint can be special"):
        open_case(params)


def test_record_callback_form_opens_the_complaint_case(sqlite_settings, smtp):
    from flows.record_callback import CallbackRecord, record_callback

    ids = build_world(UnitOfWork())
    cb_id = open_callback(UnitOfWork(), ids)
    result = record_callback(CallbackRecord(
        callback_id=cb_id, outcome="reached", satisfaction=1, issues_raised="维修一直没人来",
        recorded_by="王芳", issues_are_complaint=True))
    assert result["case_id"] > 0
    with pytest.raises(ValueError, match="a complaint needs the issues raised"):
        CallbackRecord(callback_id=cb_id, outcome="reached", issues_are_complaint=True)
