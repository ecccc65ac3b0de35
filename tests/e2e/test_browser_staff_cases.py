"""The case owner's page in a real headless Chromium, served by uvicorn: the owner follows the
link of the intake mail the real SMTP server received, adds a note and hands the case over; the
new owner follows the link in the handover mail and sends the result to the customer."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from careops.clock import utcnow
from careops.db.models.staff_actions import StaffAction
from careops.db.uow import UnitOfWork
from careops.services.cases import steps as service
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import show_case
from careops.stack.processes import free_port
from careops.web.app import create_app
from tests.integration.case_world import CUSTOMER, OTHER, OWNER, SH, build_world, intake
from tests.support.browser import serve, wait_for_heading
from tests.support.waiting import wait_until

TEXT = "<script>document.title='pwned'</script> 后台白屏 & 登录失败"
LINK = re.compile(r"(http://[^\s(]+/staff/case/[^\s)\]]+)")


@pytest.fixture
def site(sqlite_settings, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CAREOPS_WEB__PUBLIC_URL", f"http://127.0.0.1:{port}")
    from careops.settings import get_settings

    get_settings.cache_clear()
    with serve(create_app(get_settings()), "127.0.0.1", port) as url:
        yield url


def _link(smtp, address: str, subject: str) -> str:
    mail = wait_until(lambda: next((m for m in smtp.to(address) if m.subject.startswith(subject)),
                                   None), f"the {subject} mail to {address}")
    return LINK.search(mail.text()).group(1)


def _submit(browser, form: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f"#{form} button[type=submit]").click()


def test_owner_notes_hands_over_and_the_new_owner_sends_the_result(site, browser, smtp):
    build_world(UnitOfWork())
    now = utcnow()  # the world is built relative to now: no fixed business date
    case_id = service.open_case(UnitOfWork(), intake(received_at=now, text=TEXT),
                                CaseEnv.from_settings(), now).case_id
    from careops.cli.common import deliver_now

    deliver_now()
    link = _link(smtp, OWNER, "[新事项]")
    assert link.startswith(site)

    browser.get(link)
    wait_for_heading(browser, f"事项 #{case_id} · 投诉")
    assert browser.find_element(By.ID, "text").text == TEXT  # shown as text, never run
    assert browser.title != "pwned"
    assert browser.execute_script(  # fits a phone screen
        "return document.documentElement.scrollWidth <= window.innerWidth")

    browser.find_element(By.ID, "note").send_keys("已联系技术部 <b>排查</b>")
    _submit(browser, "form-note")
    wait_until(lambda: browser.find_elements(By.ID, "done"), "the saved note")
    assert "已联系技术部 <b>排查</b>" in browser.find_element(By.ID, "notes").text

    browser.find_element(By.CSS_SELECTOR, "#form-handover input[value=CS2]").click()
    browser.find_element(By.ID, "reason").send_keys("休假")
    _submit(browser, "form-handover")
    wait_until(lambda: browser.find_elements(By.ID, "readonly"), "the read-only page")
    assert "已移交给 刘洋" in browser.find_element(By.ID, "readonly").text
    assert not browser.find_elements(By.TAG_NAME, "form")

    view = show_case(UnitOfWork(), case_id, SH, utcnow())
    assert view.owner_code == "CS2"
    assert [e.details for e in view.history if e.kind == "note"] == ["已联系技术部 <b>排查</b>"]
    with UnitOfWork() as uow:
        done = [(a.action, a.via) for a in uow.session.scalars(
            select(StaffAction).order_by(StaffAction.id))]
    assert done == [("case.note", "link"), ("case.handover", "link")]

    # the next mail: the new owner's handover notice (their locale: en) with their own link
    new = _link(smtp, OTHER, "[Handover]")
    assert new != link
    browser.get(new)
    wait_for_heading(browser, f"Case #{case_id} · Complaint")
    browser.find_element(By.ID, "result-text").send_keys("Cache fixed, please reload")
    _submit(browser, "form-result")
    wait_until(lambda: browser.find_elements(By.ID, "done"), "the sent result")
    assert show_case(UnitOfWork(), case_id, SH, utcnow()).state == "answered"
    assert "/opinion/" in _opinion_mail(smtp)


def _opinion_mail(smtp) -> str:
    return wait_until(lambda: next((m.text() for m in smtp.to(CUSTOMER)), None),
                      "the result mail to the customer")
