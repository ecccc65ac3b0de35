"""R6 cases on real SQLite/PostgreSQL and a real SMTP server, on a frozen clock."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.callbacks import Callback, CallbackOutcome, CallbackStatus
from careops.db.models.cases import Case
from careops.db.models.common import Project, Staff
from careops.errors import InvalidTransition, NotFound
from careops.rules.cases import CaseInputError, CaseKind, CaseState, Opinion
from careops.services.cases import steps as service
from careops.services.cases.deadlines import sweep_deadlines
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import show_case
from tests.integration.case_world import (
    CS_HEAD,
    CUSTOMER,
    GM,
    LEADER,
    OTHER,
    OWNER,
    SH,
    Harness,
    at,
    build_world,
    intake,
)


@pytest.fixture
def h(settings, uow, smtp) -> Harness:
    build_world(uow)
    return Harness(uow, CaseEnv.from_settings(), FrozenClock(at("2026-09-30T16:05")), smtp,
                   settings)


def _count(uow) -> int:
    with uow:
        return uow.session.query(Case).count()


def test_intake_owner_deadline_and_idempotency(h):
    r = service.open_case(h.uow, intake(), h.env, h.clock())
    assert r.changed and r.due_at == at("2026-10-11T00:00")
    again = service.open_case(h.uow, intake(), h.env, h.clock())
    assert (again.case_id, again.changed) == (r.case_id, False)
    view = show_case(h.uow, r.case_id, SH, h.clock())
    assert (view.owner_code, view.taken_by_name, view.state) == ("CS1", "王芳", "open")
    assert view.customer_code == "C1"
    assert [e.kind for e in view.history] == ["intake", "notice:case_opened"]
    got = h.deliver()  # on intake only its owner is mailed: their link to the case page, once
    assert list(got) == [OWNER] and got[OWNER][0].startswith("[新事项]")


def test_suggestion_goes_to_leadership_once(h):
    r = service.open_case(h.uow, intake(CaseKind.SUGGESTION), h.env, h.clock())
    service.open_case(h.uow, intake(CaseKind.SUGGESTION), h.env, h.clock())
    got = h.deliver()  # and the owner their case page once
    assert sorted(got) == [LEADER, OWNER] and len(got[LEADER]) == len(got[OWNER]) == 1
    assert "2026年10月13日 24:00" in got[LEADER][0] and r.due_at == at("2026-10-14T00:00")


@pytest.mark.parametrize(
    ("over", "error", "message"),
    [
        ({"project_code": "P-ALPA"}, NotFound, "did you mean P-ALPHA"),
        ({"project_code": None, "customer_code": "C9"}, NotFound, "unknown customer 'C9'"),
        ({"taken_by": "CS9"}, NotFound, "unknown or inactive staff 'CS9'"),
        ({"kind": CaseKind.CONSULTATION, "special": True, "special_reason": "x"},
         CaseInputError, "only a complaint can be special"),
        ({"text": "字" * 20_001}, CaseInputError, "at most 20000"),
        ({"received_at": at("2026-09-30T18:00")}, CaseInputError, "in the future"),
        ({"project_code": None}, CaseInputError, "name the customer"),
    ],
)
def test_bad_input_stores_nothing(h, over, error, message):
    with pytest.raises(error, match=message):
        service.open_case(h.uow, intake(**over), h.env, h.clock())
    assert _count(h.uow) == 0


def test_handover_contacts_notes_department_are_logged(h):
    cid = service.open_case(h.uow, intake(), h.env, h.clock()).case_id
    h.deliver()  # the intake notice to the owner
    service.add_contact(h.uow, cid, "客户再次来电催问", "王芳", h.clock())
    service.add_note(h.uow, cid, "已联系技术部排查", "王芳", h.clock())
    service.set_department(h.uow, cid, "ts", "王芳", h.clock())
    service.hand_over(h.uow, cid, "CS2", "王芳", "休假", h.env, h.clock())
    with pytest.raises(InvalidTransition, match="already owned by 刘洋"):
        service.hand_over(h.uow, cid, "刘洋", "王芳", "again", h.env, h.clock())
    with pytest.raises(CaseInputError, match="department 'QA' is not one of"):
        service.set_department(h.uow, cid, "QA", "王芳", h.clock())
    got = h.deliver()
    assert list(got) == [OTHER] and got[OTHER][0].startswith("[Handover]")  # owner's locale
    view = show_case(h.uow, cid, SH, h.clock())
    assert view.owner_code == "CS2" and view.taken_by_name == "王芳" and view.department == "TS"
    kinds = [e.kind for e in view.history]
    assert kinds == ["intake", "notice:case_opened", "contact", "note", "department",
                     "handover", "notice:case_handover"]
    assert "王芳 → 刘洋: 休假" in view.history[5].details


def test_warning_and_breach_each_once_on_a_frozen_clock(h):
    complaint = service.open_case(h.uow, intake(), h.env, h.clock()).case_id
    consult = service.open_case(h.uow, intake(CaseKind.CONSULTATION, text="发票怎么开"),
                                h.env, h.clock()).case_id
    h.deliver()  # the intake notices to the owner
    result = sweep_deadlines(h.uow, h.env, h.clock())
    assert not result.acted and result.next_notice_at == at("2026-10-01T12:00")

    h.clock.now = at("2026-10-01T12:00")  # 4 h before the consultation's 24 h
    assert sweep_deadlines(h.uow, h.env, h.clock()).warned == [consult]
    assert sweep_deadlines(h.uow, h.env, h.clock()).warned == []  # re-run: nothing again
    got = h.deliver()
    assert list(got) == [OWNER] and "2026年10月1日 16:00" in got[OWNER][0]

    h.clock.now = at("2026-10-01T16:00")  # consultation due: breach to the CS head only
    assert sweep_deadlines(h.uow, h.env, h.clock()).breached == [consult]
    got = h.deliver()
    assert list(got) == [CS_HEAD] and "超期" in got[CS_HEAD][0]
    h.clock.now = at("2026-10-10T09:00")  # morning of the complaint's last working day
    r = sweep_deadlines(h.uow, h.env, h.clock())
    assert (r.warned, r.breached, r.next_notice_at) == ([complaint], [], at("2026-10-11T00:00"))
    h.deliver()
    h.clock.now = at("2026-10-11T00:00")  # 24:00 of Oct 10: complaint breach → CS head + GM
    assert sweep_deadlines(h.uow, h.env, h.clock()).breached == [complaint]
    got = h.deliver()
    assert sorted(got) == [CS_HEAD, GM] and "超期" in got[GM][0]
    h.clock.advance(hours=5)
    assert not sweep_deadlines(h.uow, h.env, h.clock()).acted and h.deliver() == {}


def test_a_late_first_sweep_sends_the_breach_only(h):
    cid = service.open_case(h.uow, intake(), h.env, h.clock()).case_id
    h.deliver()  # the intake notice to the owner
    h.clock.now = at("2026-10-12T09:00")
    r = sweep_deadlines(h.uow, h.env, h.clock())
    assert (r.warned, r.breached) == ([], [cid])
    assert sorted(h.deliver()) == [CS_HEAD, GM]


def test_result_link_opinion_reopen_and_close(h):
    cid = service.open_case(h.uow, intake(text="<b>页面</b>打不开"), h.env, h.clock()).case_id
    h.clock.now = at("2026-10-09T10:00")
    service.send_result(h.uow, cid, "已修复缓存配置，请刷新后再试", "王芳", h.env, h.clock())
    with pytest.raises(InvalidTransition, match="its result was sent"):
        service.send_result(h.uow, cid, "again", "王芳", h.env, h.clock())
    h.deliver()
    mail = h.smtp.to(CUSTOMER)[0]
    assert "处理结果" in mail.subject and "&lt;b&gt;页面&lt;/b&gt;" in mail.html()
    link = re.search(r"/opinion/([^\s)\]]+)", mail.text()).group(1)
    claim = h.env.signer.read(link, h.env.opinion_seconds)
    assert (claim.record_id, claim.recipient) == (cid, CUSTOMER)

    service.record_opinion(h.uow, cid, Opinion.NOT_SATISFIED, "还是白屏", h.env, h.clock())
    got = h.deliver()
    assert CS_HEAD in got and "不满意" in got[CS_HEAD][0]
    view = show_case(h.uow, cid, SH, h.clock())
    assert (view.state, view.owner_code, view.reopened_count) == ("open", "CSH", 1)
    assert view.deadline_met is True  # measured on the first result
    with pytest.raises(InvalidTransition, match="no opinion is awaited"):
        service.record_opinion(h.uow, cid, Opinion.SATISFIED, None, h.env, h.clock())

    service.send_result(h.uow, cid, "已更换服务器", "陈主任", h.env, h.clock())
    assert len(h.deliver()[CUSTOMER]) == 1  # a second result mail, with a fresh link
    service.record_opinion(h.uow, cid, Opinion.SATISFIED, "", h.env, h.clock())
    view = show_case(h.uow, cid, SH, h.clock())
    assert view.state == CaseState.CLOSED and view.closed_at == h.clock()


def test_no_opinion_closes_after_the_window(h):
    cid = service.open_case(h.uow, intake(), h.env, h.clock()).case_id
    service.send_result(h.uow, cid, "已处理", "王芳", h.env, h.clock())
    h.clock.advance(days=h.env.config.opinion_days, minutes=1)
    assert sweep_deadlines(h.uow, h.env, h.clock()).closed == [cid]


def test_intake_from_a_recorded_callback(h, uow):
    with uow:
        project_id = uow.session.scalar(select(Project.id))
        cs1 = uow.session.scalar(select(Staff.id).where(Staff.code == "CS1"))
        cb = Callback(project_id=project_id, anchor_date=at("2025-09-01T00:00").date(), seq=13,
                      due_date=at("2026-09-30T00:00").date(), month="2026-09", assignee_id=cs1,
                      status=CallbackStatus.DONE, outcome=CallbackOutcome.REACHED,
                      satisfaction=2, issues_raised="售后响应太慢，投诉", recorded_by="王芳",
                      recorded_at=at("2026-09-30T15:00"))
        uow.session.add(cb)
        uow.commit()
        cb_id = cb.id
    r = service.open_case_from_callback(h.uow, cb_id, h.env, h.clock())
    again = service.open_case_from_callback(h.uow, cb_id, h.env, h.clock())
    assert again.case_id == r.case_id and not again.changed
    view = show_case(h.uow, r.case_id, SH, h.clock())
    assert (view.callback_id, view.channel, view.owner_code) == (cb_id, "callback", "CS1")
    assert view.received_at == at("2026-09-30T15:00") and view.text == "售后响应太慢，投诉"
    assert r.due_at == at("2026-10-11T00:00")
