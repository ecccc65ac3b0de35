"""R5 pure rules: transitions, routing, chase schedules, the analysis deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from careops.calendar import UnknownCalendarYear, WorkCalendar
from careops.errors import InvalidTransition
from careops.rules.faults import (
    FaultReportError,
    FaultSeverity,
    FaultState,
    Purpose,
    analysis_chases,
    analysis_deadline,
    check_analysis,
    check_file,
    check_resolve,
    check_update,
    due_chase,
    filing_chases,
    last_resort_roles,
    next_due,
    recipient_roles,
    report_key,
    validate_report,
)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
S = FaultState


def test_report_validation_names_the_problem():
    validate_report(T0, T0, "502", "主站")
    with pytest.raises(FaultReportError, match="in the future"):
        validate_report(T0 + timedelta(minutes=5), T0, "502", "主站")
    with pytest.raises(FaultReportError, match="symptoms are empty"):
        validate_report(T0, T0, " ", "主站")
    with pytest.raises(FaultReportError, match="no timezone"):
        validate_report(T0.replace(tzinfo=None), T0, "502", "主站")


def test_report_key_ignores_case_spacing_and_seconds():
    assert report_key("p1", T0, "Home  page 502") == report_key("P1 ", T0 + timedelta(seconds=20),
                                                                "home page 502")
    assert report_key("P1", T0, "a") != report_key("P1", T0 + timedelta(minutes=1), "a")


@pytest.mark.parametrize(("check", "args", "match"), [
    (check_file, (S.ESCALATED,), "filed already"),
    (check_file, (S.CLOSED,), "closed fault cannot be filed"),
    (check_update, (S.CLOSED,), "no more progress notes"),
    (check_resolve, (S.REPORTED, FaultSeverity.MAJOR, None), "not filed yet"),
    (check_resolve, (S.RESOLVED, FaultSeverity.MAJOR, "x"), "resolved already"),
    (check_analysis, (S.ESCALATED,), "still open"),
    (check_analysis, (S.CLOSED,), "no double close"),
])
def test_invalid_transitions(check, args, match):
    with pytest.raises(InvalidTransition, match=rf"fault 7 is .*{match}"):
        check(7, *args)


def test_valid_transitions():
    check_file(1, S.REPORTED)
    check_resolve(1, S.REPORTED, FaultSeverity.MAJOR, "恢复太快")
    check_resolve(1, S.REPORTED, FaultSeverity.MINOR, None)  # a minor fault needs no filing
    check_resolve(1, S.ESCALATED, FaultSeverity.MAJOR, None)
    check_analysis(1, S.RESOLVED)
    check_update(1, S.RESOLVED)


def test_routing_per_severity_and_purpose():
    major = recipient_roles(Purpose.NOTICE, FaultSeverity.MAJOR, ["TS", "CS"], ["TS"])
    assert major == ["sales", "manager", "ts_contact", "dept:TS", "dept:CS"]
    assert recipient_roles(Purpose.NOTICE, FaultSeverity.MINOR, ["TS", "CS"], ["TS"]) == [
        "ts_contact", "dept:TS"]
    assert recipient_roles(Purpose.FILED, FaultSeverity.MAJOR, [], []) == ["leadership"]
    assert recipient_roles(Purpose.REPORT, FaultSeverity.MINOR, [], []) == ["customer", "biz"]


def test_the_last_resort_of_a_minor_fault_is_ts_never_leadership():
    assert last_resort_roles(FaultSeverity.MAJOR, ["TS"]) == ["leadership"]
    assert last_resort_roles(FaultSeverity.MINOR, ["TS"]) == ["dept:TS"]


def test_filing_chases_then_silence():
    chases = filing_chases(T0, 30, 30, 4)
    assert [c.at - T0 for c in chases] == [timedelta(minutes=m) for m in (30, 60, 90, 120)]
    assert [c.purpose for c in chases] == [Purpose.FILING_REMINDER] + [
        Purpose.FILING_ESCALATION] * 3
    assert [c.final for c in chases] == [False, False, False, True]
    assert due_chase(chases, 0, T0 + timedelta(minutes=29)) is None
    assert due_chase(chases, 0, T0 + timedelta(minutes=95)).index == 2  # late: skip ahead
    assert due_chase(chases, 4, T0 + timedelta(days=1)) is None
    assert next_due(chases, 4) is None


def test_analysis_deadline_over_national_day():
    cal = WorkCalendar()
    wed = datetime(2026, 9, 30, 15, 0, tzinfo=TZ)  # last working day before the holiday
    assert analysis_deadline(wed, cal, 2, TZ) == datetime(2026, 10, 10, 0, 0, tzinfo=TZ)
    friday = datetime(2026, 3, 20, 18, 0, tzinfo=TZ)
    assert analysis_deadline(friday, cal, 2, TZ) == datetime(2026, 3, 25, 0, 0, tzinfo=TZ)


def test_analysis_deadline_needing_an_unpublished_year_is_refused_not_guessed():
    with pytest.raises(UnknownCalendarYear, match="2027"):
        analysis_deadline(datetime(2026, 12, 30, 10, 0, tzinfo=TZ), WorkCalendar(), 2, TZ)


def test_analysis_chases_remind_then_escalate():
    due = datetime(2026, 3, 25, 0, 0, tzinfo=TZ)
    chases = analysis_chases(due - timedelta(days=4), due, 24, 3)
    assert [c.purpose for c in chases] == [Purpose.ANALYSIS_REMINDER] + [
        Purpose.ANALYSIS_OVERDUE] * 3
    assert chases[1].at == due and chases[-1].at == due + timedelta(days=2)
    assert analysis_chases(due - timedelta(hours=2), due, 24, 1)[0].purpose == (
        Purpose.ANALYSIS_OVERDUE)
