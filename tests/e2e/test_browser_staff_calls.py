"""R1 "my callbacks this month" in a real headless Chromium (phone width), served by uvicorn:
the CS person follows the link of the call list mail the SMTP server received, records one call
not reached and one reached with a complaint; the database, the list's progress and the next
mail (the complaint case's) show it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from careops.bootstrap import get_calendar, get_mailer
from careops.clock import FrozenClock
from careops.db.models.callbacks import Callback
from careops.db.models.cases import Case
from careops.db.models.staff_actions import StaffAction
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.months import Month
from careops.services.callbacks.planning import plan_and_notify
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.support.browser import serve, wait_for_text
from tests.support.factories import World
from tests.support.waiting import wait_until

NOW = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
EVIL = "<img src=x onerror=\"document.title='pwned'\">星海科技"


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.bootstrap import reset
    from careops.settings import get_settings

    get_settings.cache_clear()
    reset()
    with serve(create_app(get_settings(), clock=FrozenClock(NOW)), "127.0.0.1", port) as url:
        yield url, get_settings()


def test_a_cs_person_records_calls_from_the_mailed_link(site, browser, smtp, tmp_path):
    url, settings = site
    w = World(UnitOfWork())
    me = w.staff("CS1", name="李雷")
    w.staff("CSH", name="王主管")
    customer = w.customer("C1", name=EVIL)
    w.project("A", customer, date(2026, 1, 14), cs_owner_id=me)
    w.project("B", customer, date(2026, 1, 20), cs_owner_id=me)
    plan_and_notify(UnitOfWork(), Month(2026, 2), get_calendar(), get_mailer(), NOW)
    deliver_pending(UnitOfWork().engine, settings.smtp).check()
    (mail,) = smtp.to("cs1@careops.test")
    link = re.search(r'href="(http://[^"]+/staff/calls/[^"]+)"', mail.html()).group(1)
    assert link.startswith(url)
    with UnitOfWork() as uow:
        ids = {c.project.code: c.id for c in uow.session.scalars(select(Callback))}

    browser.get(link)
    wait_for_text(browser, "#progress", "已完成 0 / 2")
    assert browser.title != "pwned" and "onerror" in browser.find_element(
        By.CSS_SELECTOR, f"#c{ids['A']} h2").text  # the customer's name is text, never markup
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")  # fits a phone
    browser.save_screenshot(str(tmp_path / "calls.png"))

    row = f"#c{ids['B']}"
    browser.find_element(By.CSS_SELECTOR, f"{row} input[value=not_reached]").click()
    browser.find_element(By.CSS_SELECTOR, f"{row} textarea[name=notes]").send_keys("无人接听")
    browser.find_element(By.CSS_SELECTOR, f"{row} button[type=submit]").click()
    wait_for_text(browser, row, "已保存")
    assert "无人接听" in browser.find_element(By.CSS_SELECTOR, row).text
    wait_for_text(browser, "#progress", "已完成 0 / 2")  # not reached: still to call

    row = f"#c{ids['A']}"
    browser.find_element(By.CSS_SELECTOR, f"{row} input[value=reached]").click()
    Select(browser.find_element(By.CSS_SELECTOR, f"{row} select")).select_by_value("2")
    browser.find_element(By.CSS_SELECTOR, f"{row} textarea[name=issues]").send_keys(
        "报表导出总是超时 <b>急</b>")
    browser.find_element(By.CSS_SELECTOR, f"{row} input[name=complaint]").click()
    smtp.clear()
    browser.find_element(By.CSS_SELECTOR, f"{row} button[type=submit]").click()
    wait_for_text(browser, "#progress", "已完成 1 / 2")
    assert "已建立投诉案件" in browser.find_element(By.CSS_SELECTOR, row).text
    assert not browser.find_elements(By.CSS_SELECTOR, f"{row} form")  # final: no more form

    with UnitOfWork() as uow:
        a, b = (uow.session.get(Callback, ids[k]) for k in "AB")
        assert (a.status, a.outcome, a.satisfaction, a.recorded_by) == ("done", "reached", 2,
                                                                          "李雷")
        assert (b.status, b.outcome, len(b.attempts)) == ("open", "not_reached", 1)
        (case,) = uow.session.scalars(select(Case)).all()
        assert (case.callback_id, case.text) == (ids["A"], "报表导出总是超时 <b>急</b>")
        actions = uow.session.scalars(select(StaffAction).order_by(StaffAction.id)).all()
        assert [(x.action, x.subject, x.via) for x in actions] == [
            ("callback.record", f"callback:{ids['B']}", "link"),
            ("callback.record", f"callback:{ids['A']}", "link")]
    # the next mail: the complaint case, to its owner (the CS person who called)
    (opened,) = wait_until(lambda: smtp.to("cs1@careops.test"), "the complaint case's mail")
    assert "&lt;b&gt;急&lt;/b&gt;" in opened.html()

    browser.find_element(By.LINK_TEXT, "English").click()
    wait_for_text(browser, "#progress", "1 / 2 done")
