"""R1 "my callbacks this month" over HTTP: the link from the call list mail, one step per call,
the same rules as `careops callbacks record`, scoped to its person and month."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careops.bootstrap import get_calendar, get_mailer
from careops.clock import FrozenClock
from careops.db.models.callbacks import Callback, CallbackStatus
from careops.db.models.cases import Case
from careops.db.models.staff_actions import StaffAction
from careops.mail.delivery import deliver_pending
from careops.months import Month
from careops.services.callbacks.my_calls import call_list_expiry
from careops.services.callbacks.planning import plan_and_notify
from careops.services.operations.staff_access import revoke_links
from careops.web.app import create_app
from careops.web.staff.calls import WORDS
from tests.support.factories import World

NOW = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
FEB = Month(2026, 2)
EVIL = '<script>alert("x")</script>星海'
LINK = re.compile(r"https?://[^\s\"<>()]+/staff/calls/[A-Za-z0-9_.\-]+")


@pytest.fixture
def world(uow, settings, smtp):
    w = World(uow)
    w.staff("CSH", name="王主管")
    one = w.staff("CS1", name="李雷", locale="zh_CN")
    two = w.staff("CS2", name="Ann", locale="en")
    c1 = w.customer("C1", name=EVIL)
    c2 = w.customer("C2")
    w.project("A", c1, date(2026, 1, 14), cs_owner_id=one)
    w.project("B", c1, date(2026, 1, 20), cs_owner_id=one)
    w.project("D", c2, date(2026, 1, 9), cs_owner_id=two)
    plan_and_notify(uow, FEB, get_calendar(), get_mailer(), NOW)
    deliver_pending(uow.engine, settings.smtp)
    with uow:
        ids = {cb.project.code: cb.id for cb in uow.session.scalars(select(Callback))}
    clock = FrozenClock(NOW)
    client = TestClient(create_app(settings, engine=uow.engine, clock=clock))
    return {"ids": ids, "client": client, "clock": clock, "uow": uow}


def _link(smtp, address: str) -> str:
    (mail,) = smtp.to(address)
    found = LINK.search(mail.html())
    assert found, mail.html()
    assert found.group(0) in mail.text()  # the plain-text part carries it too
    return "/" + found.group(0).split("/", 3)[3]


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _form(page) -> dict[str, str]:
    """The hidden fields of a rendered form (CSRF token, form id)."""
    return {"csrf_token": _csrf(page),
            "form_id": re.search(r'name="form_id" value="([^"]+)"', page.text).group(1)}


def _attempts(uow, callback_id: int) -> list[tuple]:
    with uow:
        return [(a.outcome, a.satisfaction, a.recorded_by, a.late)
                for a in uow.session.get(Callback, callback_id).attempts]


def test_the_mailed_link_opens_my_list_and_records_a_call(world, smtp):
    client, ids, uow = world["client"], world["ids"], world["uow"]
    path = _link(smtp, "cs1@careops.test")
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert "我的回访 · 2026-02" in page.text and "已完成 0 / 2" in page.text
    assert EVIL not in page.text and "&lt;script&gt;" in page.text  # customer text escaped
    assert "13912345678" in page.text and "客户C2" not in page.text  # only CS1's callbacks
    assert f"有效至 {call_list_expiry(FEB).strftime('%Y-%m-%d')}" in page.text

    done = client.post(f"{path}/{ids['A']}", data={
        "outcome": "reached", "satisfaction": "4", "notes": "一切正常 <b>好</b>",
        "issues": "", "csrf_token": _csrf(page)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    after = client.get(done.headers["location"])
    assert "已完成 1 / 2" in after.text and "已保存" in after.text
    assert "一切正常 &lt;b&gt;好&lt;/b&gt;" in after.text
    assert _attempts(uow, ids["A"]) == [("reached", 4, "李雷", False)]
    with uow:
        (action,) = uow.session.scalars(select(StaffAction)).all()
        assert (action.action, action.subject, action.via, action.at) == (
            "callback.record", f"callback:{ids['A']}", "link", NOW)


def test_a_repeated_post_of_one_form_records_one_attempt(world, smtp):
    client, ids, uow = world["client"], world["ids"], world["uow"]
    path = _link(smtp, "cs1@careops.test")
    form = {"outcome": "not_reached"} | _form(client.get(path))
    for _ in range(2):  # a double tap, or the browser resending
        assert client.post(f"{path}/{ids['B']}", data=form,
                           follow_redirects=False).status_code == 303
    assert len(_attempts(uow, ids["B"])) == 1
    form |= _form(client.get(path))  # a new form: a second attempt
    client.post(f"{path}/{ids['B']}", data=form, follow_redirects=False)
    assert len(_attempts(uow, ids["B"])) == 2


def test_english_page_and_a_complaint_opens_its_case(world, smtp):
    client, ids, uow = world["client"], world["ids"], world["uow"]
    path = _link(smtp, "cs2@careops.test")
    page = client.get(path)
    assert "My callbacks · 2026-02" in page.text and "0 / 1 done" in page.text
    smtp.clear()
    done = client.post(f"{path}/{ids['D']}", data={
        "outcome": "reached", "satisfaction": "2", "issues": "报表导出总是超时",
        "complaint": "1", "csrf_token": _csrf(page)})
    assert done.status_code == 200 and "Complaint case" in done.text
    with uow:
        (case,) = uow.session.scalars(select(Case)).all()
        assert (case.callback_id, case.text) == (ids["D"], "报表导出总是超时")


def test_bad_input_is_refused_in_one_line_and_nothing_is_stored(world, smtp):
    client, ids, uow = world["client"], world["ids"], world["uow"]
    path = _link(smtp, "cs1@careops.test")
    token = _csrf(client.get(path))
    cases = [
        ({"outcome": "maybe"}, "请选择回访结果"),
        ({"outcome": "not_reached", "satisfaction": "5"}, "satisfaction is only given"),
        ({"outcome": "reached", "notes": "x" * 2001}, "备注最多 2000 字"),
        ({"outcome": "reached", "complaint": "1"}, "建立投诉需要填写客户反映的问题"),
    ]
    for data, error in cases:
        refused = client.post(f"{path}/{ids['A']}", data=data | {"csrf_token": token})
        assert refused.status_code == 400 and error in refused.text, (data, refused.text)
    assert client.post(f"{path}/{ids['A']}", data={"outcome": "reached"}).status_code == 403
    other = client.post(f"{path}/{ids['D']}", data={"outcome": "reached", "csrf_token": token})
    assert other.status_code == 404 and "不在您的回访清单上" in other.text  # CS2's callback
    assert _attempts(uow, ids["A"]) == [] and _attempts(uow, ids["D"]) == []
    with uow:
        assert uow.session.scalars(select(StaffAction)).all() == []


def test_tampered_expired_revoked_and_other_links_show_nothing(world, smtp, settings):
    client, uow, clock = world["client"], world["uow"], world["clock"]
    path = _link(smtp, "cs1@careops.test")
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 404
    case_scope = path.replace("/staff/calls/", "/staff/case/")
    assert client.get(case_scope).status_code in (404, 405)
    clock.now = call_list_expiry(FEB) - timedelta(seconds=1)
    assert client.get(path).status_code == 200  # a late record is still possible
    clock.now = call_list_expiry(FEB)
    expired = client.get(path)
    assert expired.status_code == 410 and "链接已过期" in expired.text
    assert "李雷" not in expired.text
    clock.now = NOW
    revoke_links(uow, "CS1")
    revoked = client.get(path, params={"lang": "en"})
    assert revoked.status_code == 410 and "revoked" in revoked.text and "李雷" not in revoked.text


def test_a_missed_callback_is_recorded_late_from_the_page(world, smtp):
    client, ids, uow = world["client"], world["ids"], world["uow"]
    with uow:
        uow.session.get(Callback, ids["A"]).status = CallbackStatus.MISSED
        uow.commit()
    path = _link(smtp, "cs1@careops.test")
    page = client.get(path)
    assert "已逾期" in page.text
    client.post(f"{path}/{ids['A']}", data={"outcome": "reached", "csrf_token": _csrf(page)})
    assert _attempts(uow, ids["A"]) == [("reached", None, "李雷", True)]  # recorded late


def test_both_languages_have_every_word():
    assert set(WORDS["zh_CN"]) == set(WORDS["en"])
