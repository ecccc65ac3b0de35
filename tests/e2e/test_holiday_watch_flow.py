"""The R3 holiday-watch flow under Prefect, against real loopback sites, on a frozen clock:
readiness, a window's rounds in one run (alert → recovery), the report, and a takeover."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

import flows.holiday_watch as watch_flow
from careops.clock import FrozenClock
from careops.db.models.watch import DutyShift, SiteCheck, WatchPeriod
from careops.db.uow import UnitOfWork
from careops.services.watch import periods as watch_periods
from flows.check_sites import CheckSitesParams, check_sites
from tests.integration.watch_world import PERIOD, TS1, TZ, build_watch
from tests.support.sites import SiteServer, refusing_url
from tests.support.tls import make_certificates

pytestmark = pytest.mark.usefixtures("prefect")


@pytest.fixture
def web():
    server = SiteServer().start()
    yield server
    server.stop()


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    clock = FrozenClock(PERIOD.end - timedelta(minutes=20))
    monkeypatch.setattr(watch_flow, "clock", clock)
    monkeypatch.setattr(watch_flow, "sleep", lambda seconds: clock.advance(seconds=seconds))
    return clock


def test_one_run_watches_the_window_alerts_recovers_and_reports(sqlite_settings, smtp, web,
                                                                frozen, monkeypatch):
    toggle, healthy = build_watch(UnitOfWork(), urls=[web.url("/toggle"), web.url("/ok")])
    web.down = True
    rounds = []

    def sleep(seconds: float) -> None:
        frozen.advance(seconds=seconds)
        rounds.append(frozen.now)
        web.down = len(rounds) < 3  # down for the first three rounds, then back

    monkeypatch.setattr(watch_flow, "sleep", sleep)
    result = watch_flow.holiday_watch()
    assert result["period"] == "2026-national-day"
    assert result["watch"] == {"rounds": 4, "alerts": 1}
    assert result["report"]["checks"] == 8 and result["report"]["mailed"] is True
    subjects = [m.subject for m in smtp.messages]
    assert sum("网站故障告警" in s for s in subjects) == 2  # TS contact, duty: own links
    assert sum("网站已恢复" in s for s in subjects) == 1
    assert any("可用性报告" in s for s in subjects)
    alert = next(m for m in smtp.messages
                 if "网站故障告警" in m.subject and m.message["To"] == TS1)
    assert "HTTP 503" in alert.text()
    report = next(m for m in smtp.messages if "可用性报告" in m.subject)
    assert "总体 62.5%" in report.subject  # 5 of 8 checks up
    assert any(part.get_content_type() == "image/png" for part in report.message.walk())
    with UnitOfWork() as uow:
        row = uow.session.get(WatchPeriod, PERIOD.id)
        assert (row.rounds, row.holder, row.reported_at is not None) == (4, None, True)
    smtp.clear()
    # the same run again after the window: nothing more about it (ops only hear that the
    # 2027 calendar, needed for the next window, is not published)
    frozen.now = PERIOD.end + timedelta(minutes=1)
    after = watch_flow.holiday_watch()
    assert (after["period"], after["provisional"], after["calendar_missing"]) == (
        "2027-new-year", True, 2027)
    assert [m.message["To"] for m in smtp.messages] == ["ops@careops.local"]


def test_a_fresh_lease_keeps_a_second_run_out_and_a_stale_one_is_taken_over(
        sqlite_settings, smtp, web, frozen):
    (site,) = build_watch(UnitOfWork(), urls=[refusing_url()])
    assert watch_periods.claim(UnitOfWork(), PERIOD, "other-run", frozen.now, 15)
    assert watch_flow.holiday_watch()["watch"]["watched_by_another_run"] is True
    # the other run died mid-window after two failed rounds were stored
    with UnitOfWork() as uow:
        uow.session.get(WatchPeriod, PERIOD.id).heartbeat_at = frozen.now - timedelta(minutes=16)
        uow.commit()
    from careops.rules.site_conditions import Response
    from careops.services.watch.notices import WatchEnv
    from careops.services.watch.rounds import record_round

    down = Response(error="cannot connect: Connection refused")
    for n in (2, 1):
        at = frozen.now - timedelta(minutes=5 * n)
        record_round(UnitOfWork(), WatchEnv.from_settings(), PERIOD, at, {site: down}, at)
    result = watch_flow.holiday_watch()
    assert result["watch"]["rounds"] == 4
    # the streak went on from the stored state: the first new round is the third failure
    alerts = [m for m in smtp.messages if "网站故障告警" in m.subject]
    assert len(alerts) == 2  # one alert: the TS contact's and the duty person's mail
    with UnitOfWork() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SiteCheck)) == 6


@pytest.mark.real_clock("OpenSSL checks certificates against the real clock")
def test_readiness_lists_what_to_fix_once(sqlite_settings, smtp, web, frozen, tmp_path,
                                          monkeypatch):
    """New Year 2027 (a supplement calendar): its readiness day is Monday 28 December."""
    ca, context = make_certificates(tmp_path, days=3)  # expires long before 2027-01-04 + 7
    tls = SiteServer(tls=context).start()
    calendars = tmp_path / "calendar"
    calendars.mkdir()
    (calendars / "2027.toml").write_text('days_off = [2027-01-01]\n[names]\n2027-01-01 = "元旦"\n')
    monkeypatch.setenv("CAREOPS_HOLIDAY_WATCH__CA_FILE", str(ca))
    monkeypatch.setenv("CAREOPS_CALENDAR_DIR", str(calendars))
    from careops import bootstrap
    from careops.settings import get_settings

    get_settings.cache_clear()
    bootstrap.reset()
    try:
        build_watch(UnitOfWork(), urls=[tls.url("/ok"), web.url("/500")])
        with UnitOfWork() as uow:  # on duty on New Year's Day only
            uow.session.add(DutyShift(day=datetime(2027, 1, 1).date(), staff_id=uow.session.scalar(
                select(DutyShift.staff_id).limit(1))))
            uow.commit()
        frozen.now = datetime(2026, 12, 28, 9, 0, tzinfo=TZ)
        result = watch_flow.holiday_watch()
        assert result["period"] == "2027-new-year"
        assert result["readiness"]["problems"] == 5 and result["readiness"]["mailed"]
        (mail,) = [m for m in smtp.messages if "节假日保障准备" in m.subject]
        text = mail.text()
        assert "HTTP 500" in text and "证书将在值守结束后 7 天内到期" in text
        assert "2026-12-31" in text and "2027-01-03" in text and "2027-01-01" not in text
        assert result["next"] == {"window": "2026-12-31T18:00:00+08:00"}
        frozen.advance(hours=1)
        assert watch_flow.holiday_watch()["readiness"]["mailed"] is False
    finally:
        tls.stop()


def test_check_sites_now_never_alerts(sqlite_settings, smtp, web):
    build_watch(UnitOfWork(), urls=[web.url("/ok"), refusing_url()])
    result = check_sites(CheckSitesParams(sites=["PA", "PB"]))
    assert (result["checked"], result["up"]) == (2, 1)
    assert smtp.messages == []


@pytest.fixture
def calendars(tmp_path, monkeypatch, sqlite_settings):
    """`calendar_dir` on SQLite only: 2027 unpublished until a test writes 2027.toml."""
    from careops import bootstrap
    from careops.settings import get_settings
    from tests.conftest import empty_calendar_dir

    yield empty_calendar_dir(tmp_path, monkeypatch)
    get_settings.cache_clear()
    bootstrap.reset()


def test_an_unpublished_next_year_is_watched_provisionally_and_ops_are_told_once(
        calendars, smtp, frozen):
    frozen.now = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    first = watch_flow.holiday_watch()
    assert (first["period"], first["provisional"], first["calendar_missing"],
            first["ops_told"]) == ("2027-new-year", True, 2027, True)
    # R3 is not blind: the readiness check and the provisional window are scheduled
    assert first["next"] == {"readiness": "2026-12-28T09:00:00+08:00",
                             "window": "2026-12-31T18:00:00+08:00"}
    assert watch_flow.holiday_watch()["ops_told"] is False
    (mail,) = smtp.messages
    assert "2027 年的放假安排尚未录入，按暂定窗口值守" in mail.subject
    assert "config/calendar/2027.toml" in mail.text()


def test_a_running_watch_follows_the_calendar_published_mid_window(calendars, smtp, web,
                                                                   frozen, monkeypatch):
    """The provisional window runs to 3 January 24:00; the file, written during the watch,
    makes Saturday 2 January a working day: the same run stops at 1 January 24:00."""
    build_watch(UnitOfWork(), urls=[web.url("/ok")])
    frozen.now = datetime(2027, 1, 1, 23, 40, tzinfo=TZ)
    rounds = []

    def sleep(seconds: float) -> None:
        frozen.advance(seconds=seconds)
        rounds.append(frozen.now)
        if len(rounds) == 2:
            (calendars / "2027.toml").write_text(
                'days_off = [2027-01-01]\nworkdays = [2027-01-02]\n[names]\n'
                '2027-01-01 = "元旦"\n')

    monkeypatch.setattr(watch_flow, "sleep", sleep)
    result = watch_flow.holiday_watch()
    assert (result["period"], result["provisional"]) == ("2027-new-year", True)
    assert result["watch"] == {"rounds": 4, "alerts": 0, "replanned": 1}
    assert result["report"]["provisional"] is False and result["report"]["checks"] == 4
    with UnitOfWork() as uow:
        row = uow.session.get(WatchPeriod, "2027-new-year")
        assert (row.end, row.provisional, row.rounds) == (
            datetime(2027, 1, 2, 0, 0, tzinfo=TZ), False, 4)
    (report,) = [m for m in smtp.messages if "可用性报告" in m.subject]
    assert "暂定" not in report.subject and "2027年1月1日 24:00" in report.text()
