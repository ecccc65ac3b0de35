"""R7 at one instant: November 2026 is taken at its end (1 Dec 00:00 in Shanghai) whatever day
it is built, and what is recorded in December (answers, opinions, a department, faults filed,
callbacks recorded late, a meeting compiled) does not change it (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from careops.db.models.callbacks import Callback, CallbackOutcome
from careops.db.models.cases import Case
from careops.db.models.faults import Fault, FaultEvent
from careops.db.models.weekly import WeeklyMeeting
from careops.mail.delivery import deliver_pending
from careops.months import Month
from careops.rules import supervision as figures
from careops.rules.cases import CaseKind, Opinion
from careops.services.callbacks.outcomes import OutcomeInput, record_outcome
from careops.services.cases import steps as service
from careops.services.cases.archive import case_facts
from careops.services.cases.notices import CaseEnv
from careops.services.supervision.report import build_report, month_bounds
from tests.integration.case_world import SH, at
from tests.integration.test_monthly_report import (
    AS_OF,
    LATER,
    NOV,
    NOW,
    _callbacks,
    _cases,
    _faults,
    _world,
)

KINDS = ["complaint", "consultation", "suggestion"]


def _figures(report) -> list:
    return [(s.key, s.title, s.basis, s.headers, s.rows, s.empty) for s in report.sections]


@pytest.fixture
def november(settings, uow, smtp):
    ids = _world(uow)
    _callbacks(uow, ids)
    _faults(uow, ids)
    _cases(uow)
    with uow:  # the last November meeting, compiled only on 1 Dec (after the month)
        uow.session.add(WeeklyMeeting(week="2026-W48", meeting_date=date(2026, 11, 27),
                                      created_at=at("2026-11-23T09:00")))
        uow.commit()
    deliver_pending(uow.engine, settings.smtp, now=lambda: NOW)
    smtp.clear()
    return uow


def test_november_reads_the_same_whichever_day_it_is_built(november):
    first = build_report(november, NOV, SH, NOW)
    # the special complaint of 25 Nov is due 4 Dec 24:00: open, not yet due at November's end
    assert first.section("cases").rows[0][:8] == ["投诉", 3, 1, 1, 0, 1, 0, 50.0]
    assert first.section("cases").rows[-1][:8] == ["合计", 6, 3, 1, 1, 1, 0, 60.0]
    for now in LATER:
        again = build_report(november, NOV, SH, now)
        assert (again.as_of, again.as_of_text) == (AS_OF, "数据截至 2026年11月30日 24:00")
        assert _figures(again) == _figures(first), f"November built at {now}"
    english = build_report(november, NOV, SH, LATER[-1], "en")
    assert english.as_of_text == "Figures as of 30 Nov 2026 24:00"


def test_a_month_not_over_is_taken_at_now(november):
    dec = Month(2026, 12)  # F7 was reported on 1 Dec 00:30
    early = build_report(november, dec, SH, at("2026-12-01T00:20"))
    assert early.as_of == at("2026-12-01T00:20")
    assert early.as_of_text == "数据截至 2026年12月1日 00:20"
    assert early.section("faults").rows[0][:2] == ["重大", 0]
    later = build_report(november, dec, SH, at("2026-12-05T14:30"))
    assert later.section("faults").rows[0][:2] == ["重大", 1]
    ended = build_report(november, dec, SH, LATER[1])
    assert ended.as_of == at("2027-01-01T00:00")
    assert ended.as_of_text == "数据截至 2026年12月31日 24:00"


def _case_id(uow, kind: CaseKind, received: str) -> int:
    with uow:
        return uow.session.scalar(select(Case.id).where(
            Case.kind == kind, Case.received_at == at(received)))


def _callback_id(uow, seq: int) -> int:
    with uow:
        return uow.session.scalar(select(Callback.id).where(Callback.seq == seq))


def _december(uow) -> None:
    """What happens after November, each of which would change a figure if it counted."""
    env = CaseEnv.from_settings()
    special = _case_id(uow, CaseKind.COMPLAINT, "2026-11-25T10:00")
    service.set_department(uow, special, "BIZ", "王芳", at("2026-12-02T09:00"))
    service.send_result(uow, special, "已处理", "王芳", env, at("2026-12-03T10:00"))
    overdue = _case_id(uow, CaseKind.CONSULTATION, "2026-11-27T10:00")
    service.send_result(uow, overdue, "已答复", "王芳", env, AS_OF)  # at the very instant
    service.record_opinion(uow, overdue, Opinion.SATISFIED, None, env,  # closed in December
                           at("2026-12-02T10:00"))
    suggestion = _case_id(uow, CaseKind.SUGGESTION, "2026-11-10T10:00")
    service.record_opinion(uow, suggestion, Opinion.NOT_SATISFIED, "不够", env,
                           at("2026-12-02T11:00"))  # reopened in December
    reached = OutcomeInput(CallbackOutcome.REACHED, 5, recorded_by="王芳")
    record_outcome(uow, _callback_id(uow, 6), reached, at("2026-12-01T00:10"))  # before closing
    record_outcome(uow, _callback_id(uow, 4), reached, at("2026-12-03T10:00"))  # missed: late
    with uow:
        s = uow.session
        f3 = s.scalar(select(Fault).where(Fault.report_key == "F3"))
        f3.filed_at, f3.resolved_at = at("2026-12-01T00:00"), at("2026-12-02T09:00")
        f2 = s.scalar(select(Fault).where(Fault.report_key == "F2"))
        f2.analysed_at = at("2026-12-02T09:00")
        s.add(FaultEvent(fault_id=f2.id, at=at("2026-12-02T09:00"),
                         kind="chase:analysis_reminder", actor="w", details=""))
        meeting = s.scalar(select(WeeklyMeeting).where(WeeklyMeeting.week == "2026-W48"))
        meeting.expected_count, meeting.submitted_count = 5, 3
        meeting.compiled_at = at("2026-12-01T02:00")
        uow.commit()


def test_what_happens_after_the_month_does_not_change_it(november):
    first = build_report(november, NOV, SH, NOW)
    start, end = month_bounds(NOV, SH)
    facts_then = case_facts(november, start, end)
    _december(november)
    facts_now = case_facts(november, start, end)  # the cases as they are now differ
    assert figures.case_rows(facts_now, KINDS, AS_OF) != figures.case_rows(
        facts_then, KINDS, AS_OF)
    assert sorted(c.department or "" for c in facts_now) != sorted(
        c.department or "" for c in facts_then)
    for now in [NOW, *LATER]:
        again = build_report(november, NOV, SH, now)
        assert _figures(again) == _figures(first), f"November built at {now}"
    cases = first.section("cases").rows
    assert cases[0][4:6] == [0, 1] and cases[1][4] == 1  # not yet due; overdue, no answer
    assert first.section("case_departments").rows == [["未指定", 5], ["TS", 1]]
    assert first.section("callbacks").rows[-1][5:7] == [2, 0]  # missed; none open
    assert first.section("faults").rows[0][2:5] == [2, 2, 1]  # filed, resolved, analysed
    assert first.section("weekly").rows == []  # W48 was compiled in December
    # December's own report counts the December events of its own cases only
    december = build_report(november, Month(2026, 12), SH, LATER[1])
    assert december.section("cases").rows[-1][1] == 0
