"""The R5 fault page over HTTP (TestClient): file, resolve and analyse through personal links
read from the mails, in both languages; CSRF; refused links; bad input; escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.common import Staff
from careops.db.models.faults import Fault
from careops.db.models.staff_actions import StaffAction
from careops.rules.faults import FaultSeverity, FaultState
from careops.services.faults.env import FaultEnv
from careops.services.faults.steps import file_fault, report_fault
from careops.services.faults.watch import watch_faults
from careops.services.operations.staff_access import revoke_links
from careops.staff_links import staff_links
from careops.web import csrf
from careops.web.app import create_app
from tests.integration.fault_world import (
    BIZ,
    CUSTOMER,
    LEADER,
    MANAGER,
    START,
    TS_CONTACT,
    TS_SUP,
    Harness,
    build_world,
    report,
)

LINK = re.compile(r"https?://[^\s\"'<>()]+/staff/fault/[A-Za-z0-9._-]+")
EVIL = "<script>alert('x')</script> 首页 502"


@pytest.fixture
def h(uow, settings, smtp) -> Harness:
    build_world(uow)
    return Harness(uow, FaultEnv.from_settings(settings), FrozenClock(START), smtp, settings)


@pytest.fixture
def client(h) -> TestClient:
    return TestClient(create_app(h.settings, engine=h.uow.engine, clock=h.clock))


def _links(h: Harness, address: str) -> list[str]:
    """The personal fault links in the latest mail `address` received (in the mail's order)."""
    mails = h.smtp.to(address)
    assert mails, f"no mail to {address}"
    return list(dict.fromkeys(LINK.findall(mails[-1].html())))


def _path(link: str) -> str:
    return link[link.index("/staff/"):]


def _reported(h: Harness, **over) -> int:
    fault_id = report_fault(h.uow, report(**over), h.env, h.clock()).fault_id
    h.deliver()
    return fault_id


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(rf'name="{csrf.FIELD}" value="([^"]+)"', page.text).group(1)


def _received(h: Harness) -> set[str]:
    return {rcpt for m in h.smtp.messages for rcpt in m.envelope_to}


def _fault(h: Harness, fault_id: int) -> Fault:
    with h.uow:
        fault = h.uow.session.get(Fault, fault_id)
        h.uow.session.expunge(fault)
        return fault


def _actions(h: Harness) -> list[tuple[str, str, str, str]]:
    with h.uow:
        rows = h.uow.session.execute(select(Staff.code, StaffAction.action, StaffAction.subject,
                                            StaffAction.via).join(Staff)).all()
        return [tuple(r) for r in rows]


def _link_for(h: Harness, code: str, subject: str, **over) -> str:
    with h.uow:
        staff = h.uow.session.scalar(select(Staff).where(Staff.code == code))
        values = {"staff_id": staff.id, "recipient": staff.email,
                  "generation": staff.link_generation, "scope": "fault", "subject": subject,
                  "expires": h.clock() + timedelta(days=1)} | over
    return _path(staff_links(h.settings).url(**values))


def test_the_manager_files_the_fault_in_chinese(h, client):
    fid = _reported(h, symptoms=EVIL)
    file_link, resolve_link = _links(h, MANAGER)  # the manager's own notice: file + resolve
    assert len(_links(h, TS_CONTACT)) == 1  # the TS contact: resolve only
    path = _path(file_link)
    page = client.get(path)
    assert page.status_code == 200 and "故障备案" in page.text and "赵经理" in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text  # escaped, not run
    assert "<script>alert" not in page.text
    h.clock.advance(minutes=20)
    token = _csrf(client, path)
    h.smtp.clear()
    done = client.post(path, data={csrf.FIELD: token, "comment": "<b>已知悉</b>，跟进中"})
    assert done.status_code == 200 and "已备案" in done.text
    fault = _fault(h, fid)
    assert (fault.state, fault.filed_by, fault.filed_at) == (
        FaultState.ESCALATED, "赵经理", START + timedelta(minutes=20))
    assert _actions(h) == [("MGR", "fault.file", f"fault:{fid}", "link")]
    assert _received(h) == {LEADER}  # filed: sent at once to senior leadership, with the comment
    assert "&lt;b&gt;已知悉&lt;/b&gt;" in h.smtp.to(LEADER)[0].html()
    again = client.get(path)  # the link again: done, nothing to do
    assert again.status_code == 200 and "故障已备案" in again.text
    assert client.get(_path(resolve_link)).status_code == 200  # resolving is still open


def test_resolve_then_analysis_in_english_reach_the_customer_and_biz(h, client):
    fid = _reported(h)
    [resolve_link] = _links(h, TS_CONTACT)
    file_fault(h.uow, fid, "赵经理", h.env, h.clock())  # filed the CLI way
    h.deliver()
    h.clock.advance(hours=3)
    path = _path(resolve_link) + "?lang=en"
    page = client.get(path)
    assert page.status_code == 200 and "Record the end of the fault" in page.text
    assert 'type="datetime-local"' in page.text and "unfiled_reason" not in page.text
    token = _csrf(client, path)
    h.smtp.clear()
    ended = (START + timedelta(hours=2)).astimezone(h.settings.tz).strftime("%Y-%m-%dT%H:%M")
    done = client.post(path, data={csrf.FIELD: token, "ended_at": ended,
                                   "resolution": "切换备用节点"})
    assert done.status_code == 200 and "Recorded" in done.text, done.text
    fault = _fault(h, fid)
    assert (fault.state, fault.ended_at, fault.resolution) == (
        FaultState.RESOLVED, START + timedelta(hours=2), "切换备用节点")
    assert _received(h) == {TS_SUP}  # the analysis request, with the supervisor's link
    [analysis_link] = _links(h, TS_SUP)
    apath = _path(analysis_link) + "?lang=en"
    token = _csrf(client, apath)
    h.smtp.clear()
    fields = {"impact": "主站不可用 40 分钟", "handling": "切换备用节点",
              "root_cause": "数据库连接池耗尽", "corrective_actions": "扩容连接池",
              "preventive_actions": "增加连接数监控告警 <i>now</i>"}
    sent = client.post(apath, data={csrf.FIELD: token, **fields})
    assert sent.status_code == 200 and "Report submitted" in sent.text
    assert _fault(h, fid).state == FaultState.CLOSED
    assert _received(h) == {CUSTOMER, BIZ}
    assert "&lt;i&gt;now&lt;/i&gt;" in h.smtp.to(CUSTOMER)[0].html()
    assert [a[:2] for a in _actions(h)] == [("TS1", "fault.resolve"), ("TSSUP", "fault.analysis")]
    assert "Nothing to submit" in client.get(apath).text  # submitted once, not twice


def test_a_post_without_the_csrf_token_changes_nothing(h, client):
    fid = _reported(h)
    path = _path(_links(h, MANAGER)[0])
    _csrf(client, path)
    refused = client.post(path, data={csrf.FIELD: "x" * 40, "comment": "ok"})
    assert refused.status_code == 403 and "页面已过期" in refused.text
    client.cookies.clear()
    assert client.post(path, data={"comment": "ok"}).status_code == 403
    assert _fault(h, fid).state == FaultState.REPORTED and _actions(h) == []


def test_tampered_expired_revoked_and_other_peoples_links_show_nothing(h, client):
    fid = _reported(h, symptoms=EVIL)
    path = _path(_links(h, MANAGER)[0])
    pages = {
        "tampered": (client.get(path[:-3] + "xyz"), 404),
        "expired": (client.get(_link_for(h, "MGR", f"fault:{fid}:file",
                                         expires=h.clock() - timedelta(seconds=1))), 410),
        # genuine links of people the routing does not name for the step
        "cs member": (client.get(_link_for(h, "CS9", f"fault:{fid}:file")), 404),
        "sales": (client.get(_link_for(h, "SALES", f"fault:{fid}:resolve")), 404),
        "manager's analysis": (client.get(_link_for(h, "MGR", f"fault:{fid}:analysis")), 404),
        "another fault": (client.get(_link_for(h, "MGR", f"fault:{fid + 1}:file")), 404),
        "another address": (client.get(_link_for(h, "MGR", f"fault:{fid}:file",
                                                 recipient="x@evil.test")), 404),
        "another scope": (client.get(path.replace("/fault/", "/case/")), 404),
        "bad subject": (client.get(_link_for(h, "MGR", f"weekly:{fid}:file")), 404),
    }
    revoke_links(h.uow, "MGR")
    pages["revoked"] = (client.get(path), 410)
    for name, (page, status) in pages.items():
        assert page.status_code == status, name
        assert "首页 502" not in page.text and "P-ALPHA" not in page.text, name
    assert "链接已停用" in pages["revoked"][0].text
    assert client.post(path, data={"comment": "x"}).status_code == 410
    # the TS supervisor's analysis link cannot act on a fault that has not ended
    early = _link_for(h, "TSSUP", f"fault:{fid}:analysis")
    assert client.get(early).status_code == 200 and "P-ALPHA" not in client.get(early).text
    assert _fault(h, fid).state == FaultState.REPORTED and _actions(h) == []


def test_bad_input_is_refused_in_one_line_and_nothing_is_stored(h, client):
    fid = _reported(h, severity=FaultSeverity.MAJOR)
    path = _path(_links(h, TS_CONTACT)[0])
    token = _csrf(client, path)
    assert 'name="unfiled_reason"' in client.get(path).text  # an unfiled major fault
    now = h.clock().astimezone(h.settings.tz)
    cases = {
        "": ("请按“年-月-日 时:分”填写故障结束时间。", {"resolution": "ok",
                                                      "unfiled_reason": "r"}),
        (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"): ("不能晚于现在", {
            "resolution": "ok", "unfiled_reason": "r"}),
        (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"): ("不能早于故障发生时间", {
            "resolution": "ok", "unfiled_reason": "r"}),
        now.strftime("%Y-%m-%dT%H:%M"): ("请填写“未备案原因”。", {"resolution": "ok"}),
        now.strftime("%Y-%m-%dT%H:%M") + " ": ("请填写“处理结果”。", {"unfiled_reason": "r"}),
    }
    for ended, (error, more) in cases.items():
        page = client.post(path, data={csrf.FIELD: token, "ended_at": ended, **more})
        assert page.status_code == 400, ended
        shown = re.findall(r'<p class="error" role="alert" id="error">([^<]*)</p>', page.text)
        assert len(shown) == 1 and error in shown[0] and "\n" not in shown[0], (ended, shown)
    long = client.post(path, data={csrf.FIELD: token, "ended_at": now.strftime(
        "%Y-%m-%dT%H:%M"), "resolution": "字" * 2001, "unfiled_reason": "r"})
    assert long.status_code == 400 and "当前 2001 字" in long.text
    file_path = _path(_links(h, MANAGER)[0])
    token = _csrf(client, file_path)
    too_long = client.post(file_path + "?lang=en", data={csrf.FIELD: token,
                                                         "comment": "x" * 2001})
    assert too_long.status_code == 400 and "it has 2001" in too_long.text
    fault = _fault(h, fid)
    assert (fault.state, fault.ended_at, fault.filed_at) == (FaultState.REPORTED, None, None)
    assert _actions(h) == []
    # and a good answer goes through afterwards, unfiled with its reason
    good = client.post(path, data={csrf.FIELD: token, "ended_at": now.strftime(
        "%Y-%m-%dT%H:%M"), "resolution": "重启", "unfiled_reason": "夜间无法联系经理"})
    assert good.status_code == 200, good.text
    assert _fault(h, fid).unfiled_reason == "夜间无法联系经理"


def test_the_filing_reminder_brings_a_fresh_filing_link(h, client):
    fid = _reported(h)
    h.clock.advance(minutes=h.env.rules.file_within_minutes + 1)
    watch_faults(h.uow, h.env, h.clock())
    assert MANAGER in h.deliver()
    [file_link] = _links(h, MANAGER)  # the reminder: filing only
    page = client.get(_path(file_link))
    assert page.status_code == 200 and "故障备案" in page.text and f"#{fid}" in page.text
