"""The case owner's page over HTTP (TestClient): the link from the owner's mail, each action
through the ordinary service (with a `staff_action` row "via link"), CSRF, bad input, the
handover that leaves the old link read-only, and every refused link showing no case data."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careops.clock import FrozenClock, utcnow
from careops.db.models.staff_actions import StaffAction
from careops.mail.delivery import deliver_pending
from careops.rules.cases import Opinion
from careops.services.cases import steps as service
from careops.services.cases.notices import CaseEnv, case_link_expiry
from careops.services.cases.queries import show_case
from careops.services.operations.staff_access import revoke_links
from careops.staff_links import staff_links
from careops.web import csrf
from careops.web.app import create_app
from tests.integration.case_world import (
    CUSTOMER,
    OTHER,
    OWNER,
    SH,
    at,
    build_world,
    intake,
)

TEXT = "<script>alert('x')</script> 后台白屏 & 登录失败"
LINK = re.compile(r"(http://[^\s(]+/staff/case/[^\s)\]?]+)")


class Site:
    def __init__(self, settings, uow, smtp) -> None:
        self.ids = build_world(uow)
        self.uow, self.smtp, self.settings = uow, smtp, settings
        self.clock = FrozenClock(at("2026-09-30T16:05"))
        self.env = CaseEnv.from_settings()
        self.case_id = service.open_case(uow, intake(text=TEXT), self.env, self.clock()).case_id
        self.client = TestClient(create_app(settings, engine=uow.engine, clock=self.clock,
                                            env=self.env))
        self.path = self.link_to(OWNER)

    def link_to(self, address: str) -> str:
        """The path of the case-page link in the latest mail `address` received."""
        deliver_pending(self.uow.engine, self.settings.smtp,
                        now=lambda: max(utcnow(), self.clock()))  # what the page left, if any
        mail = self.smtp.to(address)[-1]
        return urlsplit(LINK.search(mail.text()).group(1)).path

    def form(self, path: str | None = None, **params) -> str:
        page = self.client.get(path or self.path, params=params)
        assert page.status_code == 200, page.text
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post(self, action: str, path: str | None = None, lang: str = "zh_CN", **data):
        token = data.pop("csrf", None) or self.form(path, lang=lang)
        return self.client.post(f"{path or self.path}/{action}?lang={lang}",
                                data={**data, "csrf_token": token})

    def view(self):
        return show_case(self.uow, self.case_id, SH, self.clock())

    def actions(self) -> list[tuple[str, str, str, int]]:
        with self.uow:
            rows = self.uow.session.scalars(select(StaffAction).order_by(StaffAction.id))
            return [(r.action, r.subject, r.via, r.staff_id) for r in rows]


@pytest.fixture
def site(settings, uow, smtp) -> Site:
    return Site(settings, uow, smtp)


def test_the_owner_acts_through_the_services_in_both_languages(site):
    page = site.client.get(site.path)
    assert page.status_code == 200 and f"事项 #{site.case_id}" in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text  # escaped
    assert "<script>" not in page.text and "王芳（CS1）" in page.text

    done = site.post("note", text="已联系技术部 <b>排查</b>")
    assert done.status_code == 200 and done.history[0].status_code == 303
    assert "已保存。" in done.text and "&lt;b&gt;排查&lt;/b&gt;" in done.text
    assert site.post("contact", details="客户再次来电").status_code == 200
    english = site.post("department", lang="en", department="TS")
    assert english.status_code == 200 and "Saved." in english.text
    assert "Technical service" in english.text and f"Case #{site.case_id}" in english.text

    view = site.view()
    assert view.department == "TS"
    notes = [(e.kind, e.actor, e.details) for e in view.history if e.kind in ("note", "contact")]
    assert notes == [("note", "王芳", "已联系技术部 <b>排查</b>"),
                     ("contact", "王芳", "客户再次来电")]
    subject = f"case:{site.case_id}"
    assert site.actions() == [("case.note", subject, "link", site.ids["cs1"]),
                              ("case.contact", subject, "link", site.ids["cs1"]),
                              ("case.department", subject, "link", site.ids["cs1"])]


def test_the_link_in_the_mail_and_its_expiry(site):
    mail = site.smtp.to(OWNER)[-1]
    assert mail.subject.startswith("[新事项]") and "打开事项页面" in mail.html()
    expires = case_link_expiry(site.view().due_at, site.clock())
    assert expires == at("2026-11-10T00:00")  # the deadline (24:00 of 10 Oct) + 30 days
    site.clock.now = expires
    gone = site.client.get(site.path)
    assert gone.status_code == 410 and "链接已过期" in gone.text and "后台白屏" not in gone.text


def test_handover_leaves_the_old_link_read_only(site):
    token = site.form()  # a form the old owner still has open
    done = site.post("handover", to="CS2", reason="休假")
    assert done.status_code == 200 and "已移交给 刘洋" in done.text
    assert 'id="form-note"' not in done.text
    assert site.view().owner_code == "CS2"
    refused = site.post("note", text="还想补充", csrf=token)
    assert refused.status_code == 403 and "已移交给 刘洋" in refused.text
    assert [e.kind for e in site.view().history].count("note") == 0
    # the new owner's mail (their locale, en) carries their own link: they act
    new = site.link_to(OTHER)
    assert new != site.path and site.smtp.to(OTHER)[-1].subject.startswith("[Handover]")
    page = site.client.get(new)
    assert "Case #" in page.text and 'id="form-note"' in page.text
    assert site.post("note", path=new, lang="en", text="on it").status_code == 200
    assert [a[0] for a in site.actions()] == ["case.handover", "case.note"]
    assert site.actions()[1][3] == site.ids["cs2"]


def test_the_result_mails_the_customer_their_opinion_link(site):
    done = site.post("result", text="已修复缓存配置，请刷新后再试")
    assert done.status_code == 200 and 'id="form-result"' not in done.text
    assert "正在等待客户评价" in done.text
    mail = site.smtp.to(CUSTOMER)[-1]  # delivered at once by the page
    assert "/opinion/" in mail.text() and "已修复缓存配置" in mail.text()
    view = site.view()
    assert (view.state, view.result) == ("answered", "已修复缓存配置，请刷新后再试")
    assert site.actions()[0][0] == "case.result"
    again = site.post("result", text="again", csrf=site.form())
    assert again.status_code == 409 and "its result was sent" in again.text


def test_a_closed_case_is_read_only(site):
    token = site.form()  # taken while the case was open
    service.send_result(site.uow, site.case_id, "已修复", "王芳", site.env, site.clock())
    service.record_opinion(site.uow, site.case_id, Opinion.SATISFIED, None, site.env,
                           site.clock())
    page = site.client.get(site.path)
    assert page.status_code == 200 and "此事项已结案" in page.text and "<form" not in page.text
    history = len(site.view().history)
    closed = site.post("note", text="结案后补充", csrf=token)
    assert closed.status_code == 409 and "已结案" in closed.text
    assert len(site.view().history) == history and site.actions() == []


def test_csrf_is_checked_before_anything(site):
    token = site.form()
    forged = site.client.post(f"{site.path}/note", data={"text": "x", "csrf_token": "x" * 40})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    cookie = site.client.cookies.get(csrf.COOKIE)
    site.client.cookies.clear()
    no_cookie = site.client.post(f"{site.path}/note", data={"text": "x", "csrf_token": token})
    assert no_cookie.status_code == 403
    site.client.cookies.set(csrf.COOKIE, cookie, path="/staff")
    assert site.post("note", text="x", csrf=token).status_code == 200
    assert [e.details for e in site.view().history if e.kind == "note"] == ["x"]


@pytest.mark.parametrize(("action", "data", "status", "error"), [
    ("note", {"text": "   "}, 400, "请填写备注。"),
    ("contact", {"details": "字" * 4001}, 400, "联系内容最多 4000 字，当前 4001 字。"),
    ("department", {"department": "QA"}, 400, "请选择一个部门。"),
    ("handover", {"to": "GM", "reason": "x"}, 400, "请选择要移交的客服人员。"),
    ("handover", {"to": "CS1", "reason": "x"}, 400, "请选择要移交的客服人员。"),
    ("handover", {"to": "CS2", "reason": ""}, 400, "请填写移交原因。"),
    ("result", {"text": ""}, 400, "请填写处理结果。"),
])
def test_bad_input_is_refused_and_nothing_is_stored(site, action, data, status, error):
    before = site.view().history
    answer = site.post(action, **data)
    assert answer.status_code == status and not answer.history
    errors = re.findall(r'<p class="error" role="alert" id="error">([^<]*)</p>', answer.text)
    assert errors == [error]
    assert site.view().history == before and site.actions() == []
    assert site.view().owner_code == "CS1" and site.view().department is None


def _no_case_data(page) -> None:
    assert "后台白屏" not in page.text and "王芳" not in page.text and "<form" not in page.text


def test_refused_links_show_no_case_data(site):
    links = staff_links()
    ids, cid = site.ids, site.case_id
    until = at("2026-11-10T00:00")

    def url(**over) -> str:
        values = {"staff_id": ids["cs1"], "recipient": OWNER, "generation": 0, "scope": "case",
                  "subject": f"case:{cid}", "expires": until} | over
        return urlsplit(links.url(**values)).path.replace("/calls/", "/case/")

    assert site.client.get(url()).status_code == 200  # the genuine one works
    refused = {
        "tampered": site.path[:-3] + "xyz",
        "another person's case": url(staff_id=ids["cs2"], recipient=OTHER),
        "another person's address": url(recipient=OTHER),
        "another scope": url(scope="calls"),
        "another case": url(subject=f"case:{cid + 1}"),
        "not a case": url(subject="2026-09"),
    }
    for what, path in refused.items():
        page = site.client.get(path)
        assert page.status_code == 404, what
        _no_case_data(page)
        token = site.form()
        post = site.client.post(f"{path}/note", data={"text": "x", "csrf_token": token})
        assert post.status_code == 404, what
    revoke_links(site.uow, "CS1")
    revoked = site.client.get(site.path)
    assert revoked.status_code == 410 and "链接已停用" in revoked.text
    _no_case_data(revoked)
    assert [e.kind for e in site.view().history].count("note") == 0 and site.actions() == []
