"""R7 through Prefect (monthly-report flow, artifact) and the CLI (`careops report monthly`)."""

from __future__ import annotations

import asyncio

import pytest
from openpyxl import load_workbook
from prefect.client.orchestration import get_client
from typer.testing import CliRunner

from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from flows.monthly_report import MonthlyReportParams, monthly_report
from tests.integration.test_monthly_report import (
    _callbacks,
    _cases,
    _faults,
    _world,
    watch_holidays,
)

runner = CliRunner()


@pytest.fixture
def november(sqlite_settings, smtp):
    uow = UnitOfWork()
    ids = _world(uow)
    _callbacks(uow, ids)
    _faults(uow, ids)
    _cases(uow)
    deliver_pending(uow.engine, sqlite_settings.smtp)
    smtp.clear()
    return uow


def _artifact(key: str) -> str:
    async def fetch() -> str:
        async with get_client() as client:
            return next(a.data for a in await client.read_artifacts() if a.key == key)

    return asyncio.run(fetch())


@pytest.mark.usefixtures("prefect")
def test_flow_mails_once_and_publishes_the_artifact(november, smtp):
    first = monthly_report(MonthlyReportParams(month="2026-11"))
    monthly_report(MonthlyReportParams(month="2026-11"))
    assert first["cases"] == 6 and first["cases_met_pct"] == 60.0
    reports = [m for m in smtp.messages if m.subject.startswith("服务监督月报")]
    assert len(reports) == 1 and len(reports[0].envelope_to) == 3
    text = _artifact("monthly-report-2026-11")
    assert "口径" in text and "| =1+1 | 2 | 0 | 0 | 1 | 1 | 0 | 50.0 | – |" in text  # open→missed
    assert "| 合计 | 6 | 3 | 1 | 1 | 1 | 0 | 60.0 |" in text
    assert "节假日网站可用率：2026年11月没有结束的节假日期间。" in text  # one line, no table


def test_cli_prints_writes_and_sends(november, smtp, tmp_path):
    from careops.cli.main import app

    out = runner.invoke(app, ["report", "monthly", "--month", "2026-11", "--locale", "en",
                              "--xlsx", str(tmp_path / "r.xlsx")])
    assert out.exit_code == 0, out.output
    assert "Callbacks" in out.output and "66.7" in out.output
    assert "Holiday availability: no holiday period ended in Nov 2026." in out.output
    assert load_workbook(tmp_path / "r.xlsx")["Cases"]["H6"].value == 60.0
    assert not smtp.messages
    sent = runner.invoke(app, ["report", "monthly", "--month", "2026-11", "--send"])
    assert sent.exit_code == 0 and "1 mail(s) sent" in sent.output, sent.output
    bad = runner.invoke(app, ["report", "monthly", "--month", "2026-13"])
    assert bad.exit_code == 2 and "not of the form YYYY-MM" in bad.output


def test_cli_prints_and_writes_the_holiday_periods_of_the_month(sqlite_settings, smtp, tmp_path):
    from careops.cli.main import app

    watch_holidays(UnitOfWork(), sqlite_settings)
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
