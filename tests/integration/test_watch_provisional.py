"""R3 does not go blind for want of a calendar file: with config/calendar/2027.toml missing,
New Year 2027 is watched on a provisional window (statutory days + weekends), marked so in every
mail; writing 2027.toml replaces it with the published window. Frozen clock: 2026-12-28 09:00."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.watch import WatchPeriod
from careops.mail.delivery import deliver_pending
from careops.rules.holidays import current_or_next
from careops.services.watch import periods as watch_periods
from careops.services.watch import report as watch_report
from careops.services.watch.notices import WatchEnv
from careops.services.watch.rounds import close_period, record_round
from tests.integration.watch_world import DOWN, OK, OPS, TZ, build_watch

NOW = datetime(2026, 12, 28, 9, 0, tzinfo=TZ)
NAMED = '[names]\n2027-01-01 = "元旦"\n'


def deliver(uow, settings, at: datetime = NOW + timedelta(days=30)) -> None:
    """Deliver what the frozen-clock steps queued (their outbox rows are stamped then)."""
    deliver_pending(uow.engine, settings.smtp, now=FrozenClock(at)).check()


def plan(uow):
    env = WatchEnv.from_settings()  # re-reads the calendar directory, as every step does
    return env, current_or_next(NOW, env.calendar, env.tz, env.holidays)


def test_the_new_year_window_is_watched_provisionally_until_the_file_arrives(
        uow, settings, smtp, calendar_dir):
    site, other = build_watch(uow)
    env, period = plan(uow)
    assert (period.id, period.provisional) == ("2027-new-year", True)
    assert (period.start, period.end) == (datetime(2026, 12, 31, 18, 0, tzinfo=TZ),
                                          datetime(2027, 1, 4, 0, 0, tzinfo=TZ))
    # ops are told once that the calendar is missing, naming the provisional window
    assert watch_periods.unpublished_year(env, period) == 2027
    assert watch_periods.calendar_missing(uow, env, 2027, NOW, period) is True
    assert watch_periods.calendar_missing(uow, env, 2027, NOW + timedelta(days=1), period) is False
    # the readiness mail says provisional
    report = watch_periods.readiness(uow, env, period, {site: OK, other: OK}, NOW)
    assert report.mailed and "2027-01-01" in report.no_duty
    deliver(uow, settings)
    ops = [m for m in smtp.messages if m.message["To"] == OPS]
    assert len(ops) == 1 and "按暂定窗口值守" in ops[0].subject
    assert "2026年12月31日 18:00 至 2027年1月3日 24:00" in ops[0].text()
    (ready,) = [m for m in smtp.messages if "节假日保障准备" in m.subject]
    assert "2027年元旦（暂定值守窗口）" in ready.subject and "暂定值守窗口：" in ready.text()
    smtp.clear()
    # three failed rounds at the provisional window's opening: the alert says provisional
    for n in range(3):
        at = period.start + timedelta(minutes=5 * n)
        record_round(uow, env, period, at, {site: DOWN, other: OK}, at)
    deliver(uow, settings)
    assert len(smtp.messages) == 2  # TS contact and duty person, each with their own link
    for alert in smtp.messages:
        assert "网站故障告警" in alert.subject
        assert "暂定值守窗口：2027 年的放假安排尚未发布" in alert.text()
    smtp.clear()

    # the notice is out before the window: the published calendar moves it a day earlier
    (calendar_dir / "2027.toml").write_text("days_off = [2026-12-31, 2027-01-01]\n" + NAMED)
    env, published = plan(uow)
    assert (published.id, published.provisional) == ("2027-new-year", False)
    assert published.start == datetime(2026, 12, 30, 18, 0, tzinfo=TZ)
    assert watch_periods.unpublished_year(env, published) is None
    assert watch_periods.replan(uow, env, "2027-new-year") == published
    with uow:
        row = uow.session.get(WatchPeriod, "2027-new-year")
        assert (row.start, row.provisional) == (published.start, False)
    # the readiness check goes out once more, on the published window, and only once
    later = NOW + timedelta(days=1)
    assert watch_periods.readiness(uow, env, published, {site: OK, other: OK}, later).mailed
    assert not watch_periods.readiness(uow, env, published, {site: OK, other: OK}, later).mailed
    deliver(uow, settings)
    (again,) = smtp.messages
    assert "暂定" not in again.subject and "取代 2026年12月28日 09:00" in again.text()
    assert "2026-12-30" in again.text()  # the new first evening has nobody on duty yet


def test_rounds_outside_the_published_window_are_left_out_of_the_report(
        uow, settings, smtp, calendar_dir):
    site, other = build_watch(uow)
    env, period = plan(uow)
    slots = [period.start + timedelta(minutes=5 * n) for n in range(3)]
    slots.append(datetime(2027, 1, 2, 10, 0, tzinfo=TZ))  # Saturday, provisionally a day off
    assert watch_periods.claim(uow, period, "run-1", slots[0], 15)
    for at in slots:
        record_round(uow, env, period, at, {site: OK, other: DOWN}, at)
    # Saturday 2 January turns out to be a make-up working day: the window ends on the 1st
    (calendar_dir / "2027.toml").write_text(
        "days_off = [2027-01-01]\nworkdays = [2027-01-02]\n" + NAMED)
    env = WatchEnv.from_settings()
    final = watch_periods.replan(uow, env, "2027-new-year")
    assert (final.end, final.provisional) == (datetime(2027, 1, 2, 0, 0, tzinfo=TZ), False)
    assert watch_periods.unreported(uow) == ["2027-new-year"]
    assert close_period(uow, final) == 1  # the incident of `other` ends with the window
    built = watch_report.build_report(uow, final, env.rules.interval_minutes)
    assert (built.checks, built.left_out) == (6, 1)  # 3 rounds × 2 sites in, 1 round out
    (failing,) = [s for s in built.sites if s.up == 0]
    assert failing.incidents[0]["ended_at"] == final.end
    assert watch_report.mail_report(uow, env, built, None, final.end)
    deliver(uow, settings)
    (mail,) = [m for m in smtp.messages if "可用性报告" in m.subject]
    assert "暂定" not in mail.subject
    assert "按此前（暂定）安排值守的 1 轮检查不在本值守窗口内" in mail.text()


def test_a_window_never_published_is_reported_as_provisional(uow, settings, smtp,
                                                             calendar_dir):
    site, _ = build_watch(uow)
    env, period = plan(uow)
    record_round(uow, env, period, period.start, {site: OK}, period.start)
    built = watch_report.build_report(uow, period, env.rules.interval_minutes)
    assert watch_report.mail_report(uow, env, built, None, period.end)
    deliver(uow, settings)
    (mail,) = smtp.messages
    assert "2027年元旦（暂定值守窗口）" in mail.subject
    with uow:
        assert uow.session.scalar(select(WatchPeriod.provisional)) is True


def test_a_period_the_published_calendar_drops_keeps_its_stored_plan(uow, settings,
                                                                     calendar_dir):
    site, _ = build_watch(uow)
    env, period = plan(uow)
    record_round(uow, env, period, period.start, {site: OK}, period.start)
    watch_periods.claim(uow, period, "run-1", period.start, 15)
    # a file naming no holiday: 2027 has no New Year period any more
    (calendar_dir / "2027.toml").write_text("days_off = [2027-01-01]\n")
    stored = watch_periods.replan(uow, WatchEnv.from_settings(), "2027-new-year")
    assert (stored.start, stored.end, stored.provisional) == (period.start, period.end, True)
    built = watch_report.build_report(uow, stored, env.rules.interval_minutes)
    assert built.checks == 1
