"""R3 imports: monitored sites and the CS duty roster, bad rows named by row number."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from careops.calendar import WorkCalendar
from careops.db.models.watch import DutyShift, MonitoredSite
from careops.errors import CareopsError
from careops.services.watch.imports import (
    WatchCalendar,
    import_duty_file,
    import_sites_file,
    set_duty,
)
from tests.integration.test_imports import SAMPLES, load_samples

CAL = WatchCalendar(WorkCalendar(), ZoneInfo("Asia/Shanghai"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_sites_and_duty_import_and_reimport_changes_nothing(uow):
    load_samples(uow)
    sites = import_sites_file(uow, SAMPLES / "sites.csv")
    duty = import_duty_file(uow, SAMPLES / "duty.csv", CAL)
    assert (sites.inserted, sites.errors, duty.inserted, duty.errors) == (6, [], 8, [])
    again = (import_sites_file(uow, SAMPLES / "sites.csv"),
             import_duty_file(uow, SAMPLES / "duty.csv", CAL))
    assert [(r.inserted, r.updated, r.unchanged) for r in again] == [(0, 0, 6), (0, 0, 8)]
    with uow:
        site = uow.session.scalars(
            select(MonitoredSite).where(MonitoredSite.url.contains("pujiang"))).one()
        assert (site.project.code, site.expected_status, site.max_response_ms) == (
            "P2023002", "200,301", 5000)


def test_bad_site_rows_are_named_and_good_ones_kept(uow, tmp_path):
    load_samples(uow)
    path = write(tmp_path, "sites.csv", "project_code,url,expected_status,max_response_ms\n"
                 "P2023001,ftp://files.example.cn,,\n"
                 "NOPE,https://a.example.cn,,\n"
                 "P2023001,https://ok.example.cn,200,1500\n"
                 "P2023001,https://b.example.cn,abc,-1\n"
                 "P2023002,https://ok.example.cn,,\n")
    report = import_sites_file(uow, path)
    assert report.inserted == 1
    reasons = {e.row: e.reason for e in report.errors}
    assert "'ftp://files.example.cn' is not a web address" in reasons[2]
    assert reasons[3] == "project_code: no project with code 'NOPE'"
    assert "expected_status" in reasons[5] and "max_response_ms" in reasons[5]
    assert "duplicate https://ok.example.cn (first on row 4)" in reasons[6]


def test_duty_dates_must_lie_in_a_window_and_staff_in_cs(uow, tmp_path):
    load_samples(uow)
    path = write(tmp_path, "duty.csv", "date,staff_code\n"
                 "2026-10-01,CS002\n"
                 "2026-10-09,CS002\n"
                 "2026-10-02,TS002\n"
                 "2026-10-03,NOBODY\n"
                 "2025-12-31,CS003\n"
                 "2027-10-01,CS003\n")
    report = import_duty_file(uow, path, CAL)
    reasons = {e.row: e.reason for e in report.errors}
    assert report.inserted == 2  # 2026-10-01 and the evening of 2025-12-31 (New Year 2026)
    assert "2026-10-09 is outside every holiday watch window" in reasons[3]
    assert "TS002" in reasons[4] and "not CS" in reasons[4]
    assert "no staff with code 'NOBODY'" in reasons[5]
    assert "2027 is not published" in reasons[7]


def test_duty_set_replaces_the_day(uow):
    load_samples(uow)
    set_duty(uow, "2026-10-01", "CS002", CAL)
    set_duty(uow, "2026-10-01", "CS003", CAL)
    with uow:
        shifts = uow.session.scalars(select(DutyShift)).all()
        assert [(s.day, s.staff.code) for s in shifts] == [(date(2026, 10, 1), "CS003")]
    with pytest.raises(CareopsError, match="outside every holiday watch window"):
        set_duty(uow, "2026-11-02", "CS003", CAL)


def test_duty_can_be_set_on_a_provisional_window(uow):
    """The watch watches New Year 2027 provisionally (2027 unpublished), so the readiness
    mail's "nobody on duty" days can be filled; a plain calendar still names the year."""
    from careops.calendar import statutory_days
    from careops.rules.holidays import provisional_supplement

    load_samples(uow)
    watch = WatchCalendar(WorkCalendar().provisional(
        lambda y: provisional_supplement(y, statutory_days(y))), ZoneInfo("Asia/Shanghai"))
    set_duty(uow, "2027-01-01", "CS002", watch)
    with uow:
        assert uow.session.scalar(select(DutyShift.day)) == date(2027, 1, 1)
    with pytest.raises(CareopsError, match="2027 is not published"):
        set_duty(uow, "2027-01-02", "CS002", CAL)
