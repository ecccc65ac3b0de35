"""The survey page in a real headless Chromium on a phone-sized window, served by uvicorn,
with the personal link read from the invitation mail (SMTP)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By

from careops.bootstrap import get_mailer
from careops.clock import FrozenClock
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.services.survey_answers import survey_view
from careops.services.survey_campaign import build_campaign
from careops.services.survey_invitations import invite
from careops.services.survey_links import survey_links
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.integration.survey_world import DAY, NOW, survey_world
from tests.support.browser import serve, wait_for_heading

XSS = "<img src=x onerror=\"document.title='pwned'\"> 急需 & <b>改版</b>"


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    clock = FrozenClock(NOW)
    with serve(create_app(settings, clock=clock), "127.0.0.1", port) as url:
        yield url, clock, settings


def _heading(browser, text: str) -> None:
    wait_for_heading(browser, text)


def _invited(settings, smtp) -> str:
    uow = UnitOfWork()
    survey_world(uow)
    build_campaign(uow, 2026, DAY, settings.survey, NOW)
    invite(UnitOfWork(), 2026, get_mailer(), survey_links(), DAY, NOW)
    deliver_pending(uow.engine, settings.smtp)
    mail = next(m for m in smtp.messages if m.envelope_to == ["new@customer.test"])
    return re.search(r"(http://\S+/survey/[\w.\-]+)", mail.text()).group(1)


def test_fill_edit_and_closed_on_a_phone(site, browser, smtp, tmp_path):
    url, clock, settings = site
    link = _invited(settings, smtp)
    assert link.startswith(url)
    browser.get(link)
    wait_for_heading(browser, "2027年需求调查")
    assert "项目P-NEW" in browser.find_element(By.ID, "projects").text
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    browser.find_element(By.CSS_SELECTOR, "input[name=needs][value='website']").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=needs][value='other']").click()
    browser.find_element(By.ID, "needs_other").send_keys(XSS)
    browser.find_element(By.CSS_SELECTOR, "input[name=budget][value='50k_200k']").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=timing][value='q2']").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=contact_preference][value='visit']").click()
    browser.find_element(By.ID, "comments").send_keys("<script>document.title='x'</script>")
    browser.save_screenshot(str(tmp_path / "survey.png"))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _heading(browser, "谢谢您的答复")

    browser.find_element(By.PARTIAL_LINK_TEXT, "修改").click()  # back to the form: edit
    _heading(browser, "2027年需求调查")
    assert browser.find_element(By.ID, "needs_other").get_attribute("value") == XSS
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "main img")
    assert browser.find_element(By.CSS_SELECTOR, "input[value='website']").is_selected()
    browser.find_element(By.CSS_SELECTOR, "input[name=timing][value='q3']").click()
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _heading(browser, "谢谢您的答复")  # the post is done
    member = int(survey_links().read(link.rsplit("/", 1)[1]).member_id)
    view = survey_view(UnitOfWork(), member, DAY)
    assert (view.answer.timing, view.revision, view.answer.needs_other) == ("q3", 2, XSS)

    clock.now = datetime(2027, 1, 5, 16, 1, tzinfo=UTC)  # the survey has closed
    browser.get(link)
    wait_for_heading(browser, "调查已结束")


def test_english_without_javascript_and_a_forged_link(site, browser, smtp):
    url, _clock, settings = site
    link = _invited(settings, smtp)
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(link + "?lang=en")
    wait_for_heading(browser, "Our 2027 needs survey")
    browser.find_element(By.CSS_SELECTOR, "input[name=needs][value='security']").click()
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _heading(browser, "Thank you")
    browser.get(link[:-3] + "abc")
    wait_for_heading(browser, "链接无效")
    assert "客户NEW" not in browser.page_source
