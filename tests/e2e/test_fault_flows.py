"""The R5 flows run under Prefect end to end: report → file → update → resolve → analysis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from careops.db.uow import UnitOfWork
from flows.fault_watch import fault_watch
from flows.file_fault import FileFaultParams, file_fault
from flows.report_fault import FaultReportParams, report_fault
from flows.resolve_fault import ResolveFaultParams, resolve_fault
from flows.submit_fault_analysis import FaultAnalysisParams, submit_fault_analysis
from flows.update_fault import UpdateFaultParams, update_fault
from tests.integration.fault_world import (
    BIZ,
    CUSTOMER,
    LEADER,
    MANAGER,
    SALES,
    TS_SUP,
    build_world,
)

pytestmark = pytest.mark.usefixtures("prefect")


def _artifacts(like: str) -> set[str]:
    async def fetch() -> set[str]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_=like)))
            return {a.key for a in found}

    return asyncio.run(fetch())


def test_fault_flows_route_every_step(sqlite_settings, smtp):
    build_world(UnitOfWork())
    params = FaultReportParams(
        project_code="P-ALPHA", occurred_at=datetime.now(UTC) - timedelta(minutes=5),
        place="主站", symptoms="首页 502", handling_plan="切换备用节点", reporter="李雷")
    result = report_fault(params)
    fid = result["fault_id"]
    assert result["changed"] and len(result["notified"]) == 5  # one zh_CN mail
    assert smtp.to(SALES) and smtp.to(MANAGER)
    assert report_fault(params)["changed"] is False  # the same report again: one fault

    smtp.clear()
    file_fault(FileFaultParams(fault_id=fid, filed_by="赵经理"))
    update_fault(UpdateFaultParams(fault_id=fid, note="已切换", by="李雷"))
    resolve_fault(ResolveFaultParams(fault_id=fid, resolution="已恢复", by="李雷"))
    submit_fault_analysis(FaultAnalysisParams(
        fault_id=fid, impact="40 分钟", handling="切换", root_cause="连接池",
        corrective_actions="扩容", preventive_actions="监控", author="韩梅梅"))
    assert [len(smtp.to(a)) for a in (LEADER, MANAGER, TS_SUP, CUSTOMER, BIZ)] == [1, 1, 1, 1, 1]
    assert fault_watch()["chased"] == []
    assert f"fault-{fid}" in _artifacts("fault-") and "open-faults" in _artifacts("open-faults")


def test_bad_report_fails_the_run_with_the_reason(sqlite_settings):
    build_world(UnitOfWork())
    params = FaultReportParams(
        project_code="P-ALPA", occurred_at=datetime.now(UTC), place="主站", symptoms="502",
        handling_plan="x", reporter="李雷")
    with pytest.raises(Exception, match="did you mean P-ALPHA"):
        report_fault(params)


def test_fault_flows_report_who_could_not_be_reached(sqlite_settings, smtp):
    from sqlalchemy import select

    from careops.db.models.common import Customer

    build_world(UnitOfWork())
    with UnitOfWork() as uow:
        uow.session.scalars(select(Customer)).one().contact_email = None
        uow.commit()
    params = FaultReportParams(
        project_code="P-ALPHA", occurred_at=datetime.now(UTC) - timedelta(minutes=5),
        place="主站", symptoms="首页 502", handling_plan="切换备用节点", reporter="李雷",
        severity="minor")
    fid = report_fault(params)["fault_id"]
    resolve_fault(ResolveFaultParams(fault_id=fid, resolution="已恢复", by="李雷"))
    result = submit_fault_analysis(FaultAnalysisParams(
        fault_id=fid, impact="40 分钟", handling="切换", root_cause="连接池",
        corrective_actions="扩容", preventive_actions="监控", author="韩梅梅"))
    assert any("no e-mail address" in w for w in result["warnings"])
    assert smtp.to(BIZ) and not smtp.to(CUSTOMER)


def test_a_pending_deadline_is_set_by_fault_watch_once_the_calendar_is_there(
    sqlite_settings, smtp, tmp_path, monkeypatch
):
    from careops import bootstrap
    from careops.settings import get_settings

    calendar = tmp_path / "calendar"
    calendar.mkdir()
    monkeypatch.setenv("CAREOPS_CALENDAR_DIR", str(calendar))
    monkeypatch.setenv("CAREOPS_FAULTS__ANALYSIS_WORKING_DAYS", "40")  # reaches into 2027
    get_settings.cache_clear()
    bootstrap.reset()
    build_world(UnitOfWork())
    params = FaultReportParams(
        project_code="P-ALPHA", occurred_at=datetime.now(UTC) - timedelta(minutes=5),
        place="主站", symptoms="首页 502", handling_plan="切换备用节点", reporter="李雷",
        severity="minor")
    fid = report_fault(params)["fault_id"]
    result = resolve_fault(ResolveFaultParams(fault_id=fid, resolution="已恢复", by="李雷"))
    assert result["state"] == "resolved" and any("2027" in w for w in result["warnings"])
    assert len(smtp.to("ops@careops.local")) == 1 and smtp.to(TS_SUP)
    assert fault_watch()["deadlines"] == []  # still no 2027 calendar

    (calendar / "2027.toml").write_text("days_off = [2027-01-01]\n")
    smtp.clear()
    watched = fault_watch()
    assert watched["deadlines"] == [fid]
    assert smtp.to(TS_SUP) and not smtp.to("ops@careops.local")
    assert fault_watch()["deadlines"] == []  # set once
