"""R6 intake never loses a case because its deadline needs an unpublished calendar year: the
case is stored with its deadline pending, ops are told once through the outbox, and the
case-deadlines sweep sets the deadline once config/calendar/YYYY.toml exists (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.cases import Case
from careops.rules.supervision import case_rows
from careops.services.cases import steps as service
from careops.services.cases.archive import case_facts
from careops.services.cases.deadlines import sweep_deadlines
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import list_cases, show_case
from careops.settings import get_settings
from tests.integration.case_world import CS_HEAD, GM, OWNER, SH, Harness, at, build_world, intake

OPS = "ops@careops.local"
RECEIVED = at("2026-12-29T10:00")  # Tue 29 Dec: the 3rd working day after falls in 2027


@pytest.fixture
def h(uow, smtp, calendar_dir) -> Harness:
    build_world(uow)
    return Harness(uow, CaseEnv.from_settings(), FrozenClock(at("2026-12-29T10:05")), smtp,
                   get_settings())


def _case(h: Harness, cid: int) -> Case:
    with h.uow:
        case = h.uow.session.get(Case, cid)
        h.uow.session.expunge(case)
        return case


def _sweep(h: Harness):
    return sweep_deadlines(h.uow, CaseEnv.from_settings(), h.clock())  # a fresh env: re-read


def test_intake_keeps_the_case_and_the_deadline_follows_the_calendar(h, calendar_dir):
    r = service.open_case(h.uow, intake(received_at=RECEIVED), h.env, h.clock())
    assert r.changed and r.due_at is None and r.due_pending_year == 2027
    assert any("2027" in w and "2027.toml" in w for w in r.warnings)
    case = _case(h, r.case_id)  # everything the customer said and who took it is stored
    assert (case.text, case.received_at, case.due_pending_year) == (
        "网站后台登录后白屏，已经两天了", RECEIVED, 2027)
    assert case.owner_id == case.taken_by_id and case.due_at is None and case.warn_at is None
    again = service.open_case(h.uow, intake(received_at=RECEIVED), h.env, h.clock())
    assert (again.case_id, again.changed, again.due_pending_year) == (r.case_id, False, 2027)

    got = h.deliver()  # ops (and the owner) told once, through the outbox and real SMTP
    assert sorted(got) == sorted([OPS, OWNER]) and len(got[OPS]) == 1
    assert "2027" in got[OPS][0] and f"#{r.case_id}" in got[OPS][0]
    mail = h.smtp.to(OPS)[0].text()
    assert "config/calendar/2027.toml" in mail and "待定" in mail
    view = show_case(h.uow, r.case_id, SH, h.clock())
    assert view.deadline_met is None and "deadline-pending" in [e.kind for e in view.history]
    assert list_cases(h.uow, SH, h.clock())[0]["due"] == "pending (calendar 2027 not published)"

    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    rows = case_rows(case_facts(h.uow, start, end), ["complaint"], at("2027-02-01T00:00"))
    assert rows[0][:8] == ["complaint", 1, 0, 0, 0, 0, 1, None]  # pending, not breached

    for hours in (1, 24):  # sweeps while the calendar is missing: nothing set, nothing sent
        h.clock.advance(hours=hours)
        swept = _sweep(h)
        assert (swept.deadlines, swept.breached, swept.warned, swept.warnings) == ([], [], [], [])
        assert h.deliver() == {}
    assert _case(h, r.case_id).due_pending_year == 2027

    (calendar_dir / "2027.toml").write_text(
        'days_off = [2027-01-01]\nworkdays = []\n[names]\n2027-01-01 = "元旦"\n')
    h.clock.advance(minutes=5)
    swept = _sweep(h)
    assert swept.deadlines == [r.case_id]
    # Wed 30 Dec, Thu 31 Dec, (1 Jan off, weekend) Mon 4 Jan: due at its 24:00
    case = _case(h, r.case_id)
    assert (case.due_at, case.due_pending_year) == (at("2027-01-05T00:00"), None)
    assert swept.next_notice_at == at("2027-01-04T09:00")  # the wakeup the flow schedules
    assert h.deliver() == {}
    assert _sweep(h).deadlines == []  # set once

    h.clock.now = at("2027-01-04T09:00")  # the normal warning and breach follow
    assert _sweep(h).warned == [r.case_id]
    assert list(h.deliver()) == [OWNER]
    h.clock.now = at("2027-01-05T00:00")
    assert _sweep(h).breached == [r.case_id]
    assert sorted(h.deliver()) == sorted([CS_HEAD, GM])
    kinds = [e.kind for e in show_case(h.uow, r.case_id, SH, h.clock()).history]
    assert kinds.count("deadline-pending") == 1 and "deadline" in kinds


def test_an_answer_while_the_deadline_is_pending_is_judged_once_it_is_set(h, calendar_dir):
    cid = service.open_case(h.uow, intake(received_at=RECEIVED), h.env, h.clock()).case_id
    h.clock.now = at("2026-12-30T15:00")
    service.send_result(h.uow, cid, "已修复缓存配置", "王芳", h.env, h.clock())
    start, end = at("2026-12-01T00:00"), at("2027-01-01T00:00")  # R7 December, at its end

    def december() -> list:
        return case_rows(case_facts(h.uow, start, end, end), ["complaint"], end)[0][:8]

    # its deadline lies in 2027, after December's end: answered before it, so in time
    assert december() == ["complaint", 1, 1, 0, 0, 0, 0, 100.0]
    (calendar_dir / "2027.toml").write_text("days_off = [2027-01-01]\n")
    assert _sweep(h).deadlines == [cid]
    assert december() == ["complaint", 1, 1, 0, 0, 0, 0, 100.0]  # the same once it is set
    with h.uow:
        case = h.uow.session.scalar(select(Case).where(Case.id == cid))
        assert case.due_at == at("2027-01-05T00:00") and case.breach_notified_at is None
    assert show_case(h.uow, cid, SH, h.clock()).deadline_met is True
