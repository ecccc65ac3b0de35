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
from careops.services.survey.answers import survey_view
from careops.services.survey.campaign import build_campaign
from careops.services.survey.invitations import invite
from careops.services.survey.links import survey_links
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


PHONE_360 = {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True}
CHOICE_RECTS = """
return [...document.querySelectorAll('label.choice')].map(label => {
  const box = label.querySelector('input'), words = label.querySelector('span');
  const rect = e => { const r = e.getBoundingClientRect();
                      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  return {text: words.textContent, label: rect(label), box: rect(box), words: rect(words),
          line: parseFloat(getComputedStyle(words).lineHeight),
          row: rect(label.closest('fieldset'))};
});
"""


def _assert_choice_rows(browser, expected: int) -> None:
    rows = browser.execute_script(CHOICE_RECTS)
    assert len(rows) == expected, rows  # every need, budget, timing and contact choice
    for row in rows:
        box, words, label, text = row["box"], row["words"], row["label"], row["text"]
        # the box and its words on one line, side by side, inside one tappable row
        assert box["right"] <= words["left"] and words["top"] < box["bottom"], row
        assert box["top"] < words["bottom"], row
        assert words["bottom"] - words["top"] < 1.5 * row["line"], f"{text!r} wraps: {row}"
        for part in (box, words):
            assert label["left"] <= part["left"] and part["right"] <= label["right"], row
            assert label["top"] <= part["top"] and part["bottom"] <= label["bottom"], row
        assert label["bottom"] - label["top"] >= 44, f"{text!r} is too small to tap: {row}"
        assert label["right"] - label["left"] >= 0.95 * (row["row"]["right"] - row["row"]["left"])


def test_choices_are_tappable_rows_at_360_px_and_the_closed_page_is_read_only(
    site, browser, smtp, tmp_path
):
    url, clock, settings = site
    link = _invited(settings, smtp)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE_360)
    browser.get(link)
    wait_for_heading(browser, "2027年需求调查")
    assert browser.execute_script("return window.innerWidth") == 360
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    _assert_choice_rows(browser, 9 + 5 + 5 + 4)
    browser.find_element(By.CSS_SELECTOR, "input[name=needs][value='website']").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=needs][value='maintenance']").click()
    browser.find_element(By.ID, "needs_other").send_keys(XSS)
    browser.find_element(By.CSS_SELECTOR, "input[name=budget][value='50k_200k']").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=timing][value='q2']").click()
    browser.save_screenshot(str(tmp_path / "survey-360.png"))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _heading(browser, "谢谢您的答复")
    browser.get(link + "?lang=en")  # the longer English words stay rows too
    wait_for_heading(browser, "Our 2027 needs survey")
    _assert_choice_rows(browser, 9 + 5 + 5 + 4)

    clock.now = datetime(2027, 1, 5, 16, 1, tzinfo=UTC)  # the survey has closed
    browser.get(link)
    wait_for_heading(browser, "调查已结束")
    browser.save_screenshot(str(tmp_path / "closed-360.png"))
    assert browser.find_elements(By.CSS_SELECTOR, "main form, main input, main textarea, "
                                                  "main button, main select") == []
    needs = browser.find_element(By.ID, "answer-needs").text
    assert needs == "网站建设/改版、运维服务", needs
    assert browser.find_element(By.ID, "answer-needs_other").text == XSS  # shown as text
    assert browser.find_element(By.ID, "answer-budget").text == "5万–20万元"
    assert browser.find_element(By.ID, "answer-timing").text == "第二季度"
    assert browser.find_element(By.ID, "answer-contact_preference").text == "—"
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "main img")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
