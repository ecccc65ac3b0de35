"""R7 through Prefect (monthly-report flow, artifact) and the CLI (`careops report monthly`).

The clock is frozen for the flows, the tasks and the CLI (tests/support/clock.freeze): built on
1 Dec 2026 08:00 as scheduled and rebuilt months later, November reads the same."""

from __future__ import annotations

import asyncio

import pytest
from openpyxl import load_workbook
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from typer.testing import CliRunner

from careops.clock import FrozenClock
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from flows.monthly_report import MonthlyReportParams, monthly_report
from tests.integration.case_world import at
from tests.integration.test_monthly_report import (
    LATER,
    NOW,
    _callbacks,
    _cases,
    _faults,
    _world,
    watch_holidays,
)
from tests.support.clock import freeze

runner = CliRunner()


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    return freeze(monkeypatch, FrozenClock(NOW))  # 08:00 on 1 Dec, as scheduled


@pytest.fixture
def november(settings, smtp, clock):  # both backends: the as-of queries are the subject too
    uow = UnitOfWork()
    ids = _world(uow)
    _callbacks(uow, ids)
    _faults(uow, ids)
    _cases(uow)
    deliver_pending(uow.engine, settings.smtp)
    smtp.clear()
    return uow


def _artifact(key: str) -> str:
    async def fetch() -> str:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                sort=ArtifactSort.CREATED_DESC)  # the latest version of the key
            return found[0].data

    return asyncio.run(fetch())


@pytest.mark.usefixtures("prefect")
def test_flow_mails_once_and_publishes_the_artifact(november, smtp, clock):
    first = monthly_report(MonthlyReportParams(month="2026-11"))
    monthly_report(MonthlyReportParams(month="2026-11"))
    assert first["cases"] == 6 and first["cases_met_pct"] == 60.0
    assert first["as_of"] == "2026-12-01T00:00:00+08:00"
    reports = [m for m in smtp.messages if m.subject.startswith("服务监督月报")]
    assert len(reports) == 1 and len(reports[0].envelope_to) == 3
    assert "数据截至 2026年11月30日 24:00" in reports[0].text()
    text = _artifact("monthly-report-2026-11")
    assert "**数据截至 2026年11月30日 24:00**" in text
    assert "口径" in text and "| =1+1 | 2 | 0 | 0 | 1 | 1 | 0 | 50.0 | – |" in text  # open→missed
    # the special complaint due 4 Dec 24:00 is open, not yet due: 3 of 5 judged in time
    assert "| 合计 | 6 | 3 | 1 | 1 | 1 | 0 | 60.0 |" in text
    assert "节假日网站可用率：2026年11月没有结束的节假日期间。" in text  # one line, no table
    for now in LATER:  # rebuilt later (past its deadline): the same report, no second mail
        clock.now = now
        assert monthly_report(MonthlyReportParams(month="2026-11", send=False)) == {
            k: first[k] for k in ("month", "as_of", "cases", "cases_met_pct")}
        assert _artifact("monthly-report-2026-11") == text, f"rebuilt at {now}"
    assert len([m for m in smtp.messages if m.subject.startswith("服务监督月报")]) == 1


def test_cli_prints_writes_and_sends(november, smtp, tmp_path, clock):
    from careops.cli.main import app

    clock.now = at("2027-03-15T10:00")  # long after November: the same figures
    out = runner.invoke(app, ["report", "monthly", "--month", "2026-11", "--locale", "en",
                              "--xlsx", str(tmp_path / "r.xlsx")])
    assert out.exit_code == 0, out.output
    assert "Figures as of 30 Nov 2026 24:00" in out.output
    assert "Callbacks" in out.output and "66.7" in out.output
    assert "Holiday availability: no holiday period ended in Nov 2026." in out.output
    book = load_workbook(tmp_path / "r.xlsx")
    assert book["Cases"]["H6"].value == 60.0
    assert book["Cases"]["A1"].value == "Figures as of 30 Nov 2026 24:00"
    assert not smtp.messages
    sent = runner.invoke(app, ["report", "monthly", "--month", "2026-11", "--send"])
    assert sent.exit_code == 0 and "1 mail(s) sent" in sent.output, sent.output
    bad = runner.invoke(app, ["report", "monthly", "--month", "2026-13"])
    assert bad.exit_code == 2 and "not of the form YYYY-MM" in bad.output


def test_cli_prints_and_writes_the_holiday_periods_of_the_month(sqlite_settings, smtp, tmp_path,
                                                                clock):
    from careops.cli.main import app

    watch_holidays(UnitOfWork(), sqlite_settings)
    clock.now = at("2028-06-01T09:00")
    out = runner.invoke(app, ["report", "monthly", "--month", "2026-10", "--locale", "en",
                              "--xlsx", str(tmp_path / "october.xlsx")])
    assert out.exit_code == 0, out.output
    assert "National Day 2026 by site" in out.output and "62.5" in out.output
    book = load_workbook(tmp_path / "october.xlsx")
    assert [c.value for c in book["Holiday availability"][3]] == [
        "National Day 2026", "30 Sep 2026 18:00 → 7 Oct 2026 24:00", 2, 48, 30, 62.5, 1, 90, 1, 1]
    sites = book["National Day 2026 by site"]
    assert [c.value for c in sites[2]][:3] == ["site", "customer", "project"]
    assert [c.value for c in sites[5]] == ["Total", None, None, 48, 30, 62.5, 90, 1]
