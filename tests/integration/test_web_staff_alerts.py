"""R3 "I'm on it" over HTTP (TestClient): the alert mail's personal link, the acknowledgement
through the watch service, what it stops and what it still sends, refused links and posts."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from careops.cli.main import app as cli
from careops.clock import FrozenClock
from careops.db.models.common import Staff
from careops.db.models.staff_actions import StaffAction
from careops.db.models.watch import SiteIncident
from careops.rules.site_conditions import Response
from careops.services.operations.staff_access import revoke_links
from careops.services.watch.report import build_report
from careops.services.watch.rounds import record_round
from careops.staff_links import staff_links
from careops.web.app import create_app
from careops.web.staff.alerts import WORDS
from tests.integration.watch_world import (
    DOWN,
    DUTY2,
    OK,
    PERIOD,
    TS1,
    TS_HEAD,
    build_watch,
    deliver,
    env,
    slot,
)
from tests.support.clock import freeze

HOSTILE = Response(elapsed_ms=12, status=500, error="<script>alert(1)</script> HTTP 500")


def _round(uow, settings, n: int, results: dict):
    return record_round(uow, env(settings), PERIOD, slot(n), results, slot(n))


def _link(smtp, to: str, about: str = "") -> str:
    """The path of the personal link in the (latest) mail to `to` about `about`."""
    mails = [m for m in smtp.messages if m.message["To"] == to and "/staff/alert/" in m.html()
             and about in m.subject]
    assert mails, f"no mail with a link to {to}"
    url = re.search(r'href="([^"]*/staff/alert/[^"]+)"', mails[-1].html()).group(1)
    return urlsplit(url).path


def _csrf(page) -> str:
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _incident(uow, site: int) -> SimpleNamespace:
    with uow:
        row = uow.session.scalars(select(SiteIncident).where(SiteIncident.site_id == site)).one()
        return SimpleNamespace(id=row.id, acknowledged_by_id=row.acknowledged_by_id,
                               acknowledged_at=row.acknowledged_at,
                               acknowledged_via=row.acknowledged_via)


def _actions(uow) -> list[tuple]:
    with uow:
        return [(a.staff_id, a.action, a.subject, a.via) for a in
                uow.session.scalars(select(StaffAction).order_by(StaffAction.id))]


def _staff_id(uow, code: str) -> int:
    with uow:
        return uow.session.scalar(select(Staff.id).where(Staff.code == code))


@pytest.fixture
def alerted(settings, uow, smtp):
    """Two sites down for three rounds (site0: TS1 + CS3 on duty; site1: TS2, English)."""
    site, other = build_watch(uow)
    for n in range(3):
        _round(uow, settings, n, {site: DOWN, other: HOSTILE})
    deliver(uow, settings)
    clock = FrozenClock(slot(3))
    client = TestClient(create_app(settings, engine=uow.engine, clock=clock))
    return client, clock, site, other


def test_the_duty_person_is_on_it_reminders_stop_recovery_and_report_say_who(
        alerted, settings, uow, smtp):
    client, clock, site, _other = alerted
    path = _link(smtp, DUTY2, "site0")
    page = client.get(path)
    assert "网站故障：我来处理" in page.text and "https://site0.example.cn" in page.text
    assert "2026-09-30 18:00（已约 15 分钟）" in page.text  # down since, in Asia/Shanghai
    assert "2026-09-30 18:10：失败（cannot connect: Connection refused）" in page.text
    assert "员工CS3（CS3）" in page.text and "2026-10-08 00:00" in page.text  # valid until
    done = client.post(path, data={"csrf_token": _csrf(page),
                                   "incident": str(_incident(uow, site).id)})
    assert done.status_code == 200 and "已记录：由您处理" in done.text
    assert "您已于 2026-09-30 18:15 确认处理" in done.text and 'id="ack"' not in done.text
    incident = _incident(uow, site)
    assert (incident.acknowledged_by_id, incident.acknowledged_at, incident.acknowledged_via) == (
        _staff_id(uow, "CS3"), slot(3), "link")
    assert _actions(uow) == [(_staff_id(uow, "CS3"), "watch.acknowledge",
                              f"incident:{incident.id}", "link")]
    smtp.clear()
    # five hours down: no reminder about the acknowledged incident (the other still gets them)
    reminded = [r.reminders for n in range(3, 63)
                for r in [_round(uow, settings, n, {site: DOWN})] if r.reminders]
    assert reminded == []
    back = _round(uow, settings, 63, {site: OK})
    assert back.recoveries == [incident.id]
    deliver(uow, settings)
    (recovery,) = smtp.messages  # the recovery notice still goes, saying who was on it
    assert "网站已恢复" in recovery.subject
    assert "员工CS3 已于 2026年9月30日 18:15 确认处理" in recovery.text()
    report = build_report(uow, PERIOD, 5)
    (item,) = [s for s in report.sites if s.url == "https://site0.example.cn"]
    assert item.downtime_minutes == 63 * 5  # the acknowledged downtime still counts
    assert item.incidents[0]["acknowledged_by"] == "员工CS3"


def test_english_page_a_second_acknowledgement_shows_who_was_first(
        alerted, settings, uow, smtp, monkeypatch):
    client, clock, _site, other = alerted
    freeze(monkeypatch, clock)  # the CLI's clock is the page's
    ts2 = _link(smtp, "ts2@careops.test")
    (mail,) = [m for m in smtp.messages if m.message["To"] == "ts2@careops.test"]
    assert "I'm on it" in mail.text() and "valid until the watch window ends" in mail.text()
    page = client.get(ts2)
    assert "Site down: I&#39;m on it" in page.text and "I&#39;m on it</button>" in page.text
    token = _csrf(page)
    # a colleague acknowledges it through the CLI (same service) while the page is open
    clock.advance(minutes=2)
    ran = CliRunner().invoke(cli, ["watch", "ack", "--incident", str(_incident(uow, other).id),
                                   "--staff", "TSH"])
    assert ran.exit_code == 0 and "acknowledged by TSH" in ran.output, ran.output
    late = client.post(ts2, data={"csrf_token": token, "incident": str(_incident(uow, other).id)})
    assert late.status_code == 200
    assert "员工TSH already acknowledged it at 2026-09-30 18:17" in late.text
    assert "Acknowledged by 员工TSH at 2026-09-30 18:17" in late.text
    assert 'id="ack"' not in late.text
    assert _incident(uow, other).acknowledged_by_id == _staff_id(uow, "TSH")
    assert _actions(uow) == []  # nothing changed: nothing recorded as done via the link
    again = CliRunner().invoke(cli, ["watch", "ack", "--incident",
                                     str(_incident(uow, other).id), "--staff", "TS2"])
    assert "already acknowledged by 员工TSH (TSH) at 2026-09-30 18:17" in again.output
    unknown = CliRunner().invoke(cli, ["watch", "ack", "--incident", "999999", "--staff", "TS2"])
    assert unknown.exit_code == 2 and "999999" in unknown.output
    # the page's own language switch, and the free text of the failing site escaped
    zh = client.get(f"{ts2}?lang=zh_CN")
    assert "员工TSH 已于" in zh.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in zh.text and "<script>" not in zh.text


def test_csrf_and_bad_input_are_refused_and_store_nothing(alerted, uow, smtp):
    client, _clock, site, other = alerted
    path = _link(smtp, TS1)
    token = _csrf(client.get(path))
    own = str(_incident(uow, site).id)
    assert client.post(path, data={"incident": own}).status_code == 403
    assert client.post(path, data={"incident": own, "csrf_token": "x" * 40}).status_code == 403
    for data, error in (({}, "请至少选择一个网站。"),
                        ({"incident": "abc"}, "所选网站不属于这条告警。"),
                        ({"incident": str(_incident(uow, other).id)}, "所选网站不属于这条告警。"),
                        ({"incident": [own, "999999"]}, "所选网站不属于这条告警。")):
        refused = client.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 400 and f'<p class="error" role="alert">{error}</p>' in (
            refused.text)
    assert _incident(uow, site).acknowledged_at is None
    assert _incident(uow, other).acknowledged_at is None and _actions(uow) == []


def test_altered_expired_revoked_and_foreign_links_show_nothing(alerted, settings, uow, smtp):
    client, clock, site, _other = alerted
    path = _link(smtp, TS1)
    token = path.rsplit("/", 1)[1]
    links = staff_links(settings)
    ts1 = _staff_id(uow, "TS1")
    incident = f"incident:{_incident(uow, site).id}"

    def made(**over) -> str:
        values = {"staff_id": ts1, "recipient": TS1, "generation": 0, "scope": "alert",
                  "subject": incident, "expires": PERIOD.end} | over
        return links.token(**values)

    refused = {
        "altered": (f"{token[:-2]}xx", 404),
        "another scope": (made(scope="calls"), 404),  # a call-list link on the alert page
        "another address": (made(recipient=DUTY2), 404),  # TS1's id, mailed to someone else
        "someone else's id": (made(staff_id=_staff_id(uow, "CS3")), 404),
        "no such incident": (made(subject="incident:999999"), 404),
    }
    for name, (bad, status) in refused.items():
        page = client.get(f"/staff/alert/{bad}")
        assert page.status_code == status, name
        assert "site0.example.cn" not in page.text and "csrf_token" not in page.text, name
    clock.now = PERIOD.end  # the window is over: the link with it
    assert client.get(path).status_code == 410
    clock.now = slot(4)
    assert client.get(path).status_code == 200
    revoke_links(uow, "TS1")
    gone = client.get(path)
    assert gone.status_code == 410 and "site0.example.cn" not in gone.text
    assert client.post(path, data={"incident": incident[9:]}).status_code == 410
    assert _incident(uow, site).acknowledged_at is None


def test_a_grouped_alert_links_the_ts_head_to_every_site_of_the_round(settings, uow, smtp):
    ids = build_watch(uow, sites=12)
    for n in range(3):
        _round(uow, settings, n, dict.fromkeys(ids, DOWN))
    deliver(uow, settings)
    client = TestClient(create_app(settings, engine=uow.engine, clock=FrozenClock(slot(3))))
    path = _link(smtp, TS_HEAD)
    page = client.get(path)
    assert page.text.count('name="incident"') == 12
    with uow:
        chosen = sorted(uow.session.scalars(select(SiteIncident.id)))[:2]
    done = client.post(path, data={"csrf_token": _csrf(page), "incident": [str(i) for i in chosen]})
    assert done.status_code == 200 and done.text.count('name="incident"') == 10
    with uow:
        acked = uow.session.scalar(select(func.count()).select_from(SiteIncident).where(
            SiteIncident.acknowledged_at.is_not(None)))
    assert acked == 2
    subject = _actions(uow)[0][2]
    assert subject.startswith("group:2026-national-day:") and len(_actions(uow)) == 1
    # the next grouped reminder leaves the acknowledged two out
    smtp.clear()
    later = _round(uow, settings, 14, dict.fromkeys(ids, DOWN))
    assert len(later.reminders) == 10 and not set(later.reminders) & set(chosen)


def test_words_exist_in_both_languages():
    assert set(WORDS["zh_CN"]) == set(WORDS["en"])


def test_the_link_expires_with_the_watch_window(alerted, smtp):
    path = _link(smtp, DUTY2)
    claim = staff_links().read(path.rsplit("/", 1)[1], "alert", slot(3))
    assert claim.expires == PERIOD.end and claim.expires - slot(3) < timedelta(days=9)
