"""R4 personal weekly page in a real headless Chromium on a phone-sized window, served by
uvicorn, the link read from the reminder the real SMTP test server received: the TS head
submits their report and marks a member away; the nudge and the compiled report show both.

Frozen clock: 2026-W40, whose meeting moves to Wednesday 09-30 (reminder 09:30)."""

from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.staff_actions import StaffAction
from careops.db.models.weekly import WeeklyAway, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.rules.weekly import IsoWeek
from careops.services.weekly.meetings import WeeklyEnv
from careops.services.weekly.steps import compile_report, send_nudges, send_reminders
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.integration.weekly_world import MOVED_MEETING, TS1, TS2, TS_HEAD, build_world, email
from tests.support.browser import serve, wait_for_heading
from tests.support.waiting import wait_until

W40 = IsoWeek(2026, 40)
XSS = "<img src=x onerror=\"document.title='pwned'\"> 巡检 3 个站点 & <b>正常</b>"


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    clock = FrozenClock(MOVED_MEETING)
    with serve(create_app(settings, clock=clock), "127.0.0.1", port) as url:
        yield url, clock, settings


def _shown(browser, text: str) -> None:
    """Wait until the page after a post says `text` (the h1 stays the same)."""
    def said() -> bool:
        try:
            return any(text in e.text for e in browser.find_elements(By.ID, "saved"))
        except WebDriverException:  # the document is being replaced
            return False

    wait_until(said, f"the page to say {text!r}", timeout=60, interval=0.2,
               detail=lambda: browser.page_source[-2000:])


def test_the_head_submits_and_marks_a_member_away_in_chromium(site, browser, smtp, tmp_path):
    url, clock, settings = site
    ids = build_world(UnitOfWork())
    env = WeeklyEnv.from_settings(settings)
    send_reminders(UnitOfWork(), env, W40, clock())
    deliver_pending(UnitOfWork().engine, settings.smtp)
    mail = smtp.to(email(TS_HEAD))[0]
    assert "也可以在该页面标记本周外出的成员" in mail.text()
    link = re.search(r"(http://[^\s()\[\]]+/staff/weekly/[\w.\-]+)", mail.text()).group(1)
    assert link.startswith(url)

    browser.get(link)
    wait_for_heading(browser, "2026-W40 周报")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    assert not browser.find_elements(By.TAG_NAME, "script")  # nothing needs JavaScript
    situation = browser.find_element(By.ID, "situation")
    assert situation.get_attribute("value").startswith("回访：完成 0 次")  # the draft
    browser.save_screenshot(str(tmp_path / "weekly.png"))
    situation.clear()
    situation.send_keys(XSS)
    browser.find_element(By.ID, "feedback").send_keys("客户希望增加一次培训")
    browser.find_element(By.ID, "submit-report").click()
    _shown(browser, "已保存第 1 版")
    assert browser.find_element(By.ID, "situation").get_attribute("value") == XSS
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "main img")

    Select(browser.find_element(By.ID, "staff_code")).select_by_value(TS2)
    browser.find_element(By.ID, "reason").send_keys("<b>出差</b>")
    browser.find_element(By.ID, "mark-away").click()
    _shown(browser, "已标记 韩梅梅 本周外出")
    assert "<b>出差</b>" in browser.find_element(By.ID, "away").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#away b")

    with UnitOfWork() as uow:
        sub = uow.session.scalar(select(WeeklySubmission))
        assert (sub.staff_id, sub.situation, sub.channel) == (ids[TS_HEAD], XSS, "web")
        assert uow.session.scalar(select(WeeklyAway.staff_id)) == ids[TS2]
        actions = uow.session.scalars(select(StaffAction).order_by(StaffAction.id)).all()
        assert [(a.staff_id, a.action, a.via) for a in actions] == [
            (ids[TS_HEAD], "weekly.submit", "link"), (ids[TS_HEAD], "weekly.away", "link")]

    smtp.clear()
    clock.advance(hours=3.5)  # 13:00: the nudge goes to those still missing, TS2 is away
    assert TS2 not in send_nudges(UnitOfWork(), env, W40, clock()).queued
    clock.advance(hours=1)  # 14:00: the compile
    compile_report(UnitOfWork(), env, W40, clock())
    deliver_pending(UnitOfWork().engine, settings.smtp)
    nudged = {m.envelope_to[0] for m in smtp.messages
              if "周报催交" in m.subject or "Weekly report missing" in m.subject}
    assert nudged == {email(TS1), email("TS003"), email("TS004")}  # not TS2 (away), not the head
    report = next(m for m in smtp.to(email(TS_HEAD)) if "周报催交" not in m.subject)
    assert "巡检 3 个站点" in report.text() and "韩梅梅（TS002，<b>出差</b>）" in report.text()
    assert "&lt;b&gt;出差&lt;/b&gt;" in report.html()
