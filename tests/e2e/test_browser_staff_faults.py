"""The R5 fault page in a real headless Chromium (phone-sized, no JavaScript), served by uvicorn:
the manager files and the TS contact records the end through the personal links read from the
notice mails the SMTP server received; the next mails follow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from careops.clock import utcnow
from careops.db.models.common import Staff
from careops.db.models.faults import Fault
from careops.db.models.staff_actions import StaffAction
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.rules.faults import FaultState
from careops.services.faults.env import FaultEnv
from careops.services.faults.steps import report_fault
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.integration.fault_world import LEADER, MANAGER, TS_CONTACT, TS_SUP, build_world, report
from tests.support.browser import serve, wait_for_heading
from tests.support.waiting import wait_until

XSS = "<img src=x onerror=\"document.title='pwned'\"> 首页 502"
LINK = r"(http://\S+/staff/fault/[\w.\-]+)"


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    with serve(create_app(settings), "127.0.0.1", port) as url:
        yield url, settings


def _mail(smtp, address: str, words: str):
    return wait_until(lambda: next((m for m in smtp.to(address) if words in m.subject), None),
                      f"a mail to {address} about {words!r}", timeout=60)


def test_file_and_resolve_through_the_links_on_a_phone(site, browser, smtp, tmp_path):
    url, settings = site
    build_world(UnitOfWork())
    now = utcnow()
    fid = report_fault(UnitOfWork(), report(occurred_at=now - timedelta(hours=1), symptoms=XSS),
                       FaultEnv.from_settings(settings), now).fault_id
    deliver_pending(UnitOfWork().engine, settings.smtp)
    notice = _mail(smtp, MANAGER, f"#{fid}")
    file_link = re.findall(LINK, notice.text())[0]
    assert file_link.startswith(url)
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})

    browser.get(file_link)
    wait_for_heading(browser, "故障备案")
    assert browser.find_element(By.ID, "symptoms").text == XSS  # shown as text, never run
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "#facts img")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    browser.save_screenshot(str(tmp_path / "fault-file.png"))
    browser.find_element(By.ID, "comment").send_keys("已知悉，<b>今晚</b>跟进")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(browser, "已备案")

    with UnitOfWork() as uow:
        fault = uow.session.get(Fault, fid)
        assert (fault.state, fault.filed_by) == (FaultState.ESCALATED, "赵经理")
        actions = uow.session.execute(select(Staff.code, StaffAction.action, StaffAction.via)
                                      .join(Staff)).all()
        assert [tuple(a) for a in actions] == [("MGR", "fault.file", "link")]
    filed = _mail(smtp, LEADER, f"#{fid}")  # the next mail: passed to senior leadership
    assert "&lt;b&gt;今晚&lt;/b&gt;" in filed.html()

    resolve_link = re.findall(LINK, _mail(smtp, TS_CONTACT, f"#{fid}").text())[0]
    browser.get(resolve_link)
    wait_for_heading(browser, "登记故障结束")
    assert browser.find_element(By.ID, "ended_at").get_attribute("type") == "datetime-local"
    browser.find_element(By.ID, "resolution").send_keys("切换备用节点后恢复")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()  # ended: now
    wait_for_heading(browser, "已登记")

    with UnitOfWork() as uow:
        fault = uow.session.get(Fault, fid)
        assert fault.state == FaultState.RESOLVED and fault.resolution == "切换备用节点后恢复"
        assert now - timedelta(minutes=1) <= fault.ended_at <= utcnow()
    request = _mail(smtp, TS_SUP, f"#{fid}")  # the next step: the supervisor's own link
    assert re.findall(LINK, request.text())
    browser.get(resolve_link)  # the link again: done
    wait_for_heading(browser, "故障已结束")
