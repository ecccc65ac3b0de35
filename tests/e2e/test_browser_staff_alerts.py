"""R3 "I'm on it" in a real headless Chromium (no JavaScript), served by uvicorn: the duty
person follows the link of the alert the SMTP server received, acknowledges, and the next mail
about the incident (the recovery notice; no reminder before it) says so."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.common import Staff
from careops.db.models.staff_actions import StaffAction
from careops.db.models.watch import SiteIncident
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.services.watch.rounds import record_round
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.integration.watch_world import DOWN, DUTY2, OK, PERIOD, build_watch, env, slot
from tests.support.browser import serve, wait_for_heading
from tests.support.waiting import wait_until


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.bootstrap import reset
    from careops.settings import get_settings

    get_settings.cache_clear()
    reset()
    clock = FrozenClock(slot(3))  # the page's clock: inside the window the alert was sent in
    with serve(create_app(get_settings(), clock=clock), "127.0.0.1", port) as url:
        yield url, get_settings()


def _rounds(settings, first: int, last: int, results: dict) -> list:
    return [record_round(UnitOfWork(), env(settings), PERIOD, slot(n), results, slot(n))
            for n in range(first, last + 1)]


def _mail_to(smtp, to: str, words: str):
    return wait_until(lambda: [m for m in smtp.messages if to in m.message["To"].split(", ")
                               and words in m.subject], f"the mail to {to} about {words}")


def test_the_duty_person_acknowledges_in_chromium_and_the_recovery_says_so(
        site, browser, smtp, tmp_path):
    url, settings = site
    (watched,) = build_watch(UnitOfWork(), urls=["https://shop.example.cn"])
    _rounds(settings, 0, 2, {watched: DOWN})
    deliver_pending(UnitOfWork().engine, settings.smtp).check()
    (alert,) = _mail_to(smtp, DUTY2, "网站故障告警")
    link = re.search(r'href="(http://[^"]+/staff/alert/[^"]+)"', alert.html()).group(1)
    assert link.startswith(url)

    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(link)
    wait_for_heading(browser, "网站故障：我来处理")
    assert browser.find_element(By.CSS_SELECTOR, "dd.url").text == "https://shop.example.cn"
    assert "Connection refused" in browser.find_element(By.CSS_SELECTOR, "dd.check").text
    assert browser.execute_script(  # fits a phone: nothing wider than the viewport
        "return document.documentElement.scrollWidth <= window.innerWidth")
    browser.save_screenshot(str(tmp_path / "alert.png"))
    browser.find_element(By.ID, "ack").click()
    wait_until(lambda: "已记录：由您处理" in browser.page_source, "the acknowledgement")
    acknowledged = browser.find_element(By.CSS_SELECTOR, "dd.ack").text
    assert "您已于 2026-09-30 18:15 确认处理" in acknowledged
    assert not browser.find_elements(By.ID, "ack")
    browser.get(f"{link}{'&' if '?' in link else '?'}lang=en")  # the same page in English
    wait_for_heading(browser, "Site down: I'm on it")
    assert "You acknowledged it at 2026-09-30 18:15" in browser.find_element(
        By.CSS_SELECTOR, "dd.ack").text
    assert not browser.find_elements(By.ID, "ack")

    with UnitOfWork() as uow:
        cs3 = uow.session.scalar(select(Staff.id).where(Staff.code == "CS3"))
        incident = uow.session.scalars(select(SiteIncident)).one()
        incident_id = incident.id
        assert (incident.acknowledged_by_id, incident.acknowledged_via) == (cs3, "link")
        action = uow.session.scalars(select(StaffAction)).one()
        assert (action.staff_id, action.subject, action.via) == (
            cs3, f"incident:{incident.id}", "link")
    smtp.clear()
    # an hour and more down: no reminder; then back up: the recovery notice names who was on it
    held = _rounds(settings, 3, 20, {watched: DOWN})
    assert not any(r.reminders for r in held)
    assert all(r.acknowledged == [incident_id] for r in held)  # the round says why
    _rounds(settings, 21, 21, {watched: OK})
    deliver_pending(UnitOfWork().engine, settings.smtp).check()
    (recovery,) = _mail_to(smtp, DUTY2, "网站已恢复")
    assert "员工CS3 已于 2026年9月30日 18:15 确认处理" in recovery.text()
    assert not [m for m in smtp.messages if "提醒" in m.subject]
