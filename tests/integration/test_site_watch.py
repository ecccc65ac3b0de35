"""R3 watch rounds on a frozen clock: threshold, reminders, recovery, grouping, idempotency."""

from __future__ import annotations

from sqlalchemy import func, select

from careops.db.models.watch import SiteCheck, SiteIncident
from careops.services.watch.rounds import close_period, record_round
from tests.integration.watch_world import (
    DOWN,
    DUTY2,
    OK,
    OPS,
    PERIOD,
    TS1,
    TS_HEAD,
    build_watch,
    deliver,
    env,
    slot,
)


def run(uow, settings, n: int, results: dict):
    return record_round(uow, env(settings), PERIOD, slot(n), results, slot(n))


def test_alert_after_three_failures_reminders_hourly_at_most_three_then_recovery(
        uow, settings, smtp):
    site, other = build_watch(uow)
    for n in range(2):
        assert run(uow, settings, n, {site: DOWN, other: OK}).alerts == []
    third = run(uow, settings, 2, {site: DOWN, other: OK})
    assert len(third.alerts) == 1
    deliver(uow, settings)
    # one mail each: each carries its own personal "I'm on it" link
    # slot 2 is 2026-09-30 18:10: the duty of 30 September
    assert sorted(m.message["To"] for m in smtp.messages) == sorted([TS1, DUTY2])  # CS3
    for alert in smtp.messages:
        assert "网站故障告警" in alert.subject and "site0.example.cn" in alert.subject
        assert "Connection refused" in alert.text() and "2026年9月30日 18:00" in alert.text()
        assert "我来处理" in alert.text() and "/staff/alert/" in alert.text()
    smtp.clear()
    # down for 5 hours: reminders at +60, +120, +180 minutes, then silence
    reminders = [n for n in range(3, 63) if run(uow, settings, n, {site: DOWN}).reminders]
    assert reminders == [14, 26, 38]
    deliver(uow, settings)
    assert sorted(m.subject.split("】")[0] for m in smtp.messages) == [  # pooled: any order
        "【网站仍未恢复·第 1 次提醒", "【网站仍未恢复·第 1 次提醒", "【网站仍未恢复·第 2 次提醒",
        "【网站仍未恢复·第 2 次提醒", "【网站仍未恢复·第 3 次提醒", "【网站仍未恢复·第 3 次提醒"]
    smtp.clear()
    back = run(uow, settings, 63, {site: OK})
    assert len(back.recoveries) == 1
    deliver(uow, settings)
    (recovery,) = smtp.messages
    assert "网站已恢复" in recovery.subject and "中断约 315 分钟" in recovery.subject
    with uow:
        incident = uow.session.scalars(select(SiteIncident)).one()
        assert (incident.started_at, incident.ended_at, incident.reminders) == (
            slot(0), slot(63), 3)


def test_a_short_blip_alerts_nobody(uow, settings, smtp):
    site, _ = build_watch(uow)
    for n, result in enumerate([DOWN, DOWN, OK, DOWN, DOWN, OK]):
        run(uow, settings, n, {site: result})
    deliver(uow, settings)
    assert smtp.messages == []


def test_many_failures_in_one_round_send_one_grouped_alert(uow, settings, smtp):
    ids = build_watch(uow, sites=12)
    for n in range(3):
        result = run(uow, settings, n, dict.fromkeys(ids, DOWN))
    assert result.grouped and len(result.alerts) == 12
    deliver(uow, settings)
    # the TS head's mail carries their personal link; ops' mailbox gets one without
    assert sorted(m.message["To"] for m in smtp.messages) == sorted([TS_HEAD, OPS])
    for group in smtp.messages:
        assert "本轮 12/12 个网站检查失败" in group.subject
        assert all(f"site{i}.example.cn" in group.text() for i in range(12))
        assert ("/staff/alert/" in group.text()) == (group.message["To"] == TS_HEAD)
    smtp.clear()
    run(uow, settings, 3, dict.fromkeys(ids, OK))
    deliver(uow, settings)
    (back,) = smtp.messages
    assert "12 个网站恢复正常" in back.subject and back.message["To"].count("@") == 2


def test_a_round_recorded_twice_acts_once(uow, settings, smtp):
    site, other = build_watch(uow)
    for n in range(2):
        run(uow, settings, n, {site: DOWN, other: OK})
    first = run(uow, settings, 2, {site: DOWN, other: OK})
    again = run(uow, settings, 2, {site: DOWN, other: OK})  # a retried or parallel round
    assert (len(first.alerts), again.skipped, again.alerts) == (1, 2, [])
    deliver(uow, settings)
    assert len(smtp.messages) == 2  # the TS contact's and the duty person's
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(SiteCheck)) == 6


def test_the_window_end_cuts_open_incidents_without_a_recovery_notice(uow, settings, smtp):
    site, _ = build_watch(uow)
    for n in range(3):
        run(uow, settings, n, {site: DOWN})
    assert close_period(uow, PERIOD) == 1
    deliver(uow, settings)
    assert len(smtp.messages) == 2  # the alert only (TS contact, duty person)
    with uow:
        assert uow.session.scalars(select(SiteIncident)).one().ended_at == PERIOD.end


def test_nobody_skipped_silently_heads_stand_in_and_are_named(uow, settings, smtp):
    from careops.db.models.common import Project
    from careops.db.models.watch import DutyShift

    site, _ = build_watch(uow)
    with uow:
        uow.session.query(Project).filter(Project.code == "PA").update({"ts_contact_id": None})
        uow.session.query(DutyShift).delete()
        uow.commit()
    for n in range(3):
        result = run(uow, settings, n, {site: DOWN})
    assert len(result.warnings) == 2 and "PA has no active TS contact" in result.warnings[0]
    deliver(uow, settings)
    assert sorted(m.message["To"] for m in smtp.messages) == ["csh@careops.test", TS_HEAD]
    for alert in smtp.messages:
        assert "项目 PA 没有在职的技术服务联系人" in alert.text()
        assert "2026年9月30日 没有安排客服值班" in alert.text()
