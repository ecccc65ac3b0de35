"""R4 personal weekly page over HTTP (TestClient): the link from the reminder, the form filled
with the draft, a submission and an away mark through the ordinary services, the record of
each action, and every refused link showing nothing.

The week is 2026-W40 (meeting moved to Wednesday 09-30), on a frozen clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from careops.clock import FrozenClock
from careops.db.models.common import Department, Staff
from careops.db.models.staff_actions import StaffAction
from careops.db.models.weekly import WeeklyAway, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.rules.weekly import IsoWeek
from careops.services.operations.staff_access import revoke_links
from careops.services.weekly.meetings import WeeklyEnv, link_expires
from careops.services.weekly.steps import compile_report, send_nudges, send_reminders
from careops.staff_links import staff_links
from careops.web.app import create_app
from careops.web.staff.weekly import WORDS
from tests.integration.weekly_world import (
    MOVED_MEETING,
    TS1,
    TS2,
    TS3,
    TS_AWAY,
    TS_HEAD,
    WeeklyHarness,
    build_world,
    email,
)

W40 = IsoWeek(2026, 40)
LINK = re.compile(r"(http://[^\s()\[\]]+/staff/weekly/[A-Za-z0-9_.\-]+)")
SCRIPT = "<script>alert('x')</script> 巡检 & 更新"


@dataclass
class Site:
    h: WeeklyHarness
    client: TestClient
    links: dict[str, str]  # staff code → path of the link in their reminder

    def rows(self, model) -> int:
        with self.h.uow:
            return self.h.uow.session.scalar(select(func.count()).select_from(model))

    def form(self, code: str, lang: str | None = None) -> tuple[str, str]:
        path = self.links[code] + (f"?lang={lang}" if lang else "")
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return path, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def site(settings, uow, smtp) -> Site:
    ids = build_world(uow)
    env = WeeklyEnv.from_settings(settings, ui_form_url="http://ui.test/run")
    h = WeeklyHarness(uow, env, FrozenClock(MOVED_MEETING), smtp, settings, ids)
    send_reminders(uow, env, W40, h.clock())
    links = {}
    for mail in h.deliver():
        found = LINK.search(mail.text())
        assert found, mail.text()
        links[mail.envelope_to[0].split("@")[0].upper()] = urlsplit(found.group(1)).path
    client = TestClient(create_app(settings, engine=uow.engine, clock=h.clock))
    return Site(h, client, links)


def test_both_languages_have_the_same_words():
    assert WORDS["zh_CN"].keys() == WORDS["en"].keys()


def test_the_reminder_link_opens_the_form_filled_with_the_draft(site):
    assert set(site.links) == {TS_HEAD, TS1, TS2, TS3, TS_AWAY}  # nobody marked away yet
    zh = site.client.get(site.links[TS1])
    assert zh.status_code == 200 and "2026-W40 周报" in zh.text and "李雷（TS001）" in zh.text
    situation = re.search(r'<textarea id="situation"[^>]*>([^<]*)</textarea>', zh.text).group(1)
    assert "已回访：P-ALPHA" in situation and "首页 502" in situation and "P-BETA" not in situation
    assert "2026-09-30 15:00" in zh.text
    until = link_expires(MOVED_MEETING.date(), site.h.env.tz)
    assert until.isoformat().startswith("2026-10-08T00:00") and "2026-10-08 00:00" in zh.text
    assert "away-form" not in zh.text  # a member cannot mark anyone away
    en = site.client.get(site.links[TS1] + "?lang=en")
    assert "Weekly report 2026-W40" in en.text and "done: P-ALPHA" in en.text
    tom = site.client.get(site.links[TS3])  # Tom's stored locale
    assert "Customer feedback" in tom.text and "Tom Lee (TS003)" in tom.text


def test_a_submission_goes_through_the_service_and_is_recorded(site):
    path, token = site.form(TS1)
    saved = site.client.post(path, data={"situation": SCRIPT, "feedback": "客户满意",
                                         "csrf_token": token})
    assert saved.status_code == 200 and "已保存第 1 版" in saved.text
    assert "<script>alert" not in saved.text and "&lt;script&gt;alert" in saved.text
    with site.h.uow:
        sub = site.h.uow.session.scalar(select(WeeklySubmission))
        assert (sub.staff_id, sub.situation, sub.channel, sub.late) == (
            site.h.ids[TS1], SCRIPT, "web", False)
        action = site.h.uow.session.scalar(select(StaffAction))
        assert (action.staff_id, action.action, action.subject, action.via) == (
            site.h.ids[TS1], "weekly.submit", "weekly:2026-W40", "link")
        assert action.at == MOVED_MEETING
    again = site.client.get(path + "?lang=en")
    assert "You submitted revision 1" in again.text and "客户满意" in again.text

    nudged = send_nudges(site.h.uow, site.h.env, W40, site.h.clock())
    assert TS1 not in nudged.queued  # the next mail knows
    site.h.clock.advance(hours=5)
    compile_report(site.h.uow, site.h.env, W40, site.h.clock())
    site.h.deliver()
    _path, token = site.form(TS1, "en")
    late = site.client.post(path + "?lang=en", data={
        "situation": "second text", "feedback": "fine", "csrf_token": token})
    assert late.status_code == 200 and "late addendum" in late.text
    assert any("second text" in m.text() for m in site.h.smtp.messages)  # delivered at once
    with site.h.uow:
        rows = site.h.uow.session.scalars(select(StaffAction).order_by(StaffAction.id)).all()
        assert [(r.action, r.detail) for r in rows] == [("weekly.submit", None),
                                                        ("weekly.submit", "late")]


def test_posts_without_the_csrf_token_are_refused(site):
    path, token = site.form(TS1)
    forged = site.client.post(path, data={"situation": "a", "feedback": "b",
                                          "csrf_token": "x" * 40})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    site.client.cookies.clear()
    no_cookie = site.client.post(path, data={"situation": "a", "feedback": "b",
                                             "csrf_token": token})
    assert no_cookie.status_code == 403
    assert site.rows(WeeklySubmission) == 0 and site.rows(StaffAction) == 0


def test_bad_input_is_one_line_400_and_nothing_is_stored(site):
    path, token = site.form(TS1)
    empty = site.client.post(path, data={"situation": "正常", "feedback": "  ",
                                         "csrf_token": token})
    assert empty.status_code == 400 and "请填写客户反馈意见。" in empty.text
    assert re.search(r'<p class="error" id="error" role="alert">[^<\n]+</p>', empty.text)
    limit = site.h.env.rules.max_text_chars
    long = site.client.post(path, data={"situation": "字" * (limit + 1), "feedback": "好",
                                        "csrf_token": token})
    assert long.status_code == 400 and f"当前 {limit + 1} 字" in long.text
    assert site.rows(WeeklySubmission) == 0 and site.rows(StaffAction) == 0


def test_refused_links_show_nothing(site, settings):
    path = site.links[TS1]
    secret = ("李雷", "P-ALPHA", "首页 502", "<textarea", "<form")
    tampered = site.client.get(path[:-2] + ("xx" if not path.endswith("xx") else "yy"))
    other = staff_links(settings).url(  # genuine, TS2's id, mailed to TS1's address
        staff_id=site.h.ids[TS2], recipient=email(TS1), generation=0, scope="weekly",
        subject="2026-W40", expires=datetime(2026, 10, 8, tzinfo=MOVED_MEETING.tzinfo))
    calls = staff_links(settings).url(  # another page's scope
        staff_id=site.h.ids[TS1], recipient=email(TS1), generation=0, scope="calls",
        subject="2026-W40", expires=datetime(2026, 10, 8, tzinfo=MOVED_MEETING.tzinfo))
    refused = [(tampered, 404), (site.client.get(urlsplit(other).path), 404),
               (site.client.get("/staff/weekly/" + calls.rsplit("/", 1)[1]), 404)]
    revoke_links(UnitOfWork(site.h.uow.engine), TS2)
    refused.append((site.client.get(site.links[TS2]), 410))
    _p, token = site.form(TS3)
    revoke_links(UnitOfWork(site.h.uow.engine), TS3)
    refused.append((site.client.post(site.links[TS3], data={
        "situation": "a", "feedback": "b", "csrf_token": token}), 410))
    site.h.clock.advance(days=8, hours=15)  # 2026-10-08 00:30: past the link's end
    refused.append((site.client.get(path), 410))
    for response, status in refused:
        assert response.status_code == status, response.text
        assert not any(s in response.text for s in secret), response.text
    assert site.rows(WeeklySubmission) == 0 and site.rows(StaffAction) == 0


def test_someone_no_longer_in_ts_sees_nothing(site):
    with site.h.uow:
        site.h.uow.session.get(Staff, site.h.ids[TS1]).department = Department.CS
        site.h.uow.commit()
    moved = site.client.get(site.links[TS1])
    assert moved.status_code == 403 and "无法打开周报" in moved.text
    assert "P-ALPHA" not in moved.text and "<form" not in moved.text


def test_the_head_marks_a_member_away_and_back(site):
    path, token = site.form(TS_HEAD)
    away = path.split("?")[0] + "/away"
    member_path, member_token = site.form(TS1)
    refused = site.client.post(member_path + "/away", data={
        "staff_code": TS2, "csrf_token": member_token})
    assert refused.status_code == 403 and site.rows(WeeklyAway) == 0
    _p, token = site.form(TS_HEAD)
    unknown = site.client.post(away, data={"staff_code": "CS1", "csrf_token": token})
    assert unknown.status_code == 400 and "请选择一位技术服务部成员。" in unknown.text
    marked = site.client.post(away, data={"staff_code": TS2, "reason": "<b>出差</b>",
                                          "csrf_token": token})
    assert marked.status_code == 200 and "已标记 韩梅梅 本周外出" in marked.text
    assert "&lt;b&gt;出差&lt;/b&gt;" in marked.text and "<b>出差" not in marked.text
    with site.h.uow:
        row = site.h.uow.session.scalar(select(WeeklyAway))
        assert (row.staff_id, row.reason) == (site.h.ids[TS2], "<b>出差</b>")
        action = site.h.uow.session.scalar(select(StaffAction))
        assert (action.staff_id, action.action, action.subject, action.via) == (
            site.h.ids[TS_HEAD], "weekly.away", "weekly:2026-W40:TS002", "link")
    nudged = send_nudges(site.h.uow, site.h.env, W40, site.h.clock())
    assert TS2 not in nudged.queued and TS1 in nudged.queued
    back = site.client.post(away + "?lang=en", data={"staff_code": TS2, "back": "1",
                                                     "csrf_token": token})
    assert back.status_code == 200 and "韩梅梅 is no longer marked away" in back.text
    assert site.rows(WeeklyAway) == 0 and site.rows(StaffAction) == 2
