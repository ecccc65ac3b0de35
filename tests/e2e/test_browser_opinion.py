"""The case-opinion page in a real headless Chromium, served by uvicorn, link read from SMTP."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.rules.cases import CaseKind
from careops.services.cases import steps as service
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import show_case
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.integration.case_world import CS_HEAD, CUSTOMER, SH, build_world, intake
from tests.support.browser import serve, wait_for_heading

TEXT = "<script>alert('x')</script> 后台白屏 & 登录失败"
RESULT = '已修复。<img src=x onerror="document.title=\'pwned\'">\n请刷新后再试'


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.settings import get_settings

    get_settings.cache_clear()
    with serve(create_app(get_settings()), "127.0.0.1", port) as url:
        yield url


def _answered_case(now, **over) -> tuple[int, CaseEnv]:
    env = CaseEnv.from_settings()
    r = service.open_case(UnitOfWork(), intake(received_at=now, text=TEXT, **over), env, now)
    service.send_result(UnitOfWork(), r.case_id, RESULT, "王芳", env, now)
    from careops.cli.common import deliver_now

    deliver_now()
    return r.case_id, env


def test_not_satisfied_in_chromium_reopens_the_case(site, browser, smtp, tmp_path):
    build_world(UnitOfWork())
    now = utcnow()
    case_id, _env = _answered_case(now, kind=CaseKind.COMPLAINT)
    mail = smtp.to(CUSTOMER)[0]
    link = re.search(r"(http://[^\s(]+/opinion/[^\s)\]]+)", mail.text()).group(1)
    assert link.startswith(site)

    browser.get(link)
    wait_for_heading(browser, "您对处理结果满意吗？")
    # customer text and result are shown as text, never run as markup
    assert browser.find_element(By.ID, "text").text == TEXT
    assert "onerror" in browser.find_element(By.ID, "result").text
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "#result img")
    # fits a phone screen: nothing wider than the viewport
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    browser.save_screenshot(str(tmp_path / "opinion.png"))

    browser.find_element(By.CSS_SELECTOR, "input[value=not_satisfied]").click()
    browser.find_element(By.ID, "comment").send_keys("还是打不开 <b>急</b>")
    smtp.clear()
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(browser, "谢谢您的评价")
    assert "客服部负责人会尽快与您联系" in browser.page_source

    view = show_case(UnitOfWork(), case_id, SH, utcnow())
    assert (view.state, view.opinion, view.owner_code) == ("open", "not_satisfied", "CSH")
    assert view.opinion_comment == "还是打不开 <b>急</b>"
    head = smtp.to(CS_HEAD)[0]
    assert "不满意" in head.subject and "&lt;b&gt;急&lt;/b&gt;" in head.html()

    browser.get(link)  # the link again: answered once, no second opinion
    wait_for_heading(browser, "已收到您的评价")


def test_english_and_satisfied_without_javascript(site, browser, smtp):
    build_world(UnitOfWork())
    case_id, _env = _answered_case(utcnow())
    link = re.search(r"(http://[^\s(]+/opinion/[^\s)\]]+)", smtp.to(CUSTOMER)[0].text()).group(1)
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(link)
    browser.find_element(By.LINK_TEXT, "English").click()
    wait_for_heading(browser, "Are you satisfied with the result?")
    browser.find_element(By.CSS_SELECTOR, "input[value=satisfied]").click()
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(browser, "Thank you")
    assert show_case(UnitOfWork(), case_id, SH, utcnow()).state == "closed"
