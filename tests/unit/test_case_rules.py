"""R6 deadlines (Civil Code counting on the China calendar), warnings and intake checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from careops.calendar import UnknownCalendarYear, WorkCalendar
from careops.rules.cases import (
    CaseInputError,
    CaseKind,
    case_deadline,
    deadline_met,
    parse_kind,
    validate_intake,
    warning_at,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
C, S, Q = CaseKind.COMPLAINT, CaseKind.SUGGESTION, CaseKind.CONSULTATION


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# 2026 National Day: Oct 1-7 off, Sat Oct 10 a make-up working day (Sun Sep 20 too).
# 2026 Spring Festival: Feb 15-23 off, Sat Feb 14 and Sat Feb 28 make-up working days.
CASES = [
    # kind, received, special, promised, due (24:00 written as next day 00:00)
    (C, "2026-09-30T16:00", False, None, "2026-10-11T00:00"),  # Oct 8, 9, Sat 10 (make-up)
    (C, "2026-09-30T16:00", True, None, "2026-10-16T00:00"),  # 8,9,10,12,13,14,15
    (C, "2026-10-03T11:00", False, None, "2026-10-11T00:00"),  # received on a holiday
    (C, "2026-10-07T23:59", False, None, "2026-10-11T00:00"),  # last holiday, late evening
    (C, "2026-10-08T00:00", False, None, "2026-10-13T00:00"),  # 9, 10, 12
    (C, "2026-09-18T10:00", False, None, "2026-09-23T00:00"),  # Sat 19 off, Sun 20 make-up
    (C, "2026-02-13T10:00", False, None, "2026-02-26T00:00"),  # Sat 14, then 24, 25
    (C, "2026-02-16T09:00", False, None, "2026-02-27T00:00"),  # in Spring Festival: 24,25,26
    (C, "2026-02-16T09:00", True, None, "2026-03-04T00:00"),  # 24,25,26,27,Sat 28,Mar 2,3
    (C, "2026-03-13T17:00", False, None, "2026-03-19T00:00"),  # Friday: Mon 16,17,18
    (Q, "2026-09-30T16:00", False, None, "2026-10-01T16:00"),  # 24 clock hours, holiday or not
    (Q, "2026-02-14T23:30", False, None, "2026-02-15T23:30"),
    (S, "2026-09-30T16:00", False, None, "2026-10-14T00:00"),  # default 5 working days
    (S, "2026-09-30T16:00", False, date(2026, 10, 3), "2026-10-09T00:00"),  # holiday → Oct 8
    (S, "2026-09-30T16:00", False, date(2026, 10, 10), "2026-10-11T00:00"),  # make-up day
    (S, "2026-09-30T16:00", False, date(2026, 9, 30), "2026-10-01T00:00"),  # same day
]


@pytest.mark.parametrize(("kind", "received", "special", "promised", "due"), CASES)
def test_deadlines(kind, received, special, promised, due):
    got = case_deadline(kind, at(received), CAL, SH, special=special, promised_on=promised)
    assert got == at(due)
    assert got.utcoffset() == timedelta(hours=8)


def test_a_received_time_in_another_zone_counts_from_the_local_day():
    # 2026-09-30 20:00 UTC is Oct 1 04:00 in Shanghai: a holiday, so Oct 8, 9, 10
    received = datetime(2026, 9, 30, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert case_deadline(C, received, CAL, SH) == at("2026-10-11T00:00")


def test_unpublished_year_is_a_clear_error():
    with pytest.raises(UnknownCalendarYear, match="2027 is not published"):
        case_deadline(C, at("2026-12-30T10:00"), CAL, SH)
    # a consultation needs no calendar: 24 clock hours
    assert case_deadline(Q, at("2027-03-01T10:00"), CAL, SH) == at("2027-03-02T10:00")


def test_promised_date_before_receipt_is_refused():
    with pytest.raises(CaseInputError, match="before the day of receipt"):
        case_deadline(S, at("2026-09-30T16:00"), CAL, SH, promised_on=date(2026, 9, 29))


@pytest.mark.parametrize(
    ("kind", "received", "due", "warn"),
    [
        (C, "2026-09-30T16:00", "2026-10-11T00:00", "2026-10-10T09:00"),  # morning of last day
        (S, "2026-09-30T16:00", "2026-10-14T00:00", "2026-10-13T09:00"),
        (Q, "2026-09-30T16:00", "2026-10-01T16:00", "2026-10-01T12:00"),  # 4 h before
        (S, "2026-09-30T16:00", "2026-10-01T00:00", "2026-09-30T16:00"),  # due today: at once
    ],
)
def test_warnings(kind, received, due, warn):
    assert warning_at(kind, at(received), at(due), SH) == at(warn)


def test_deadline_met():
    due = at("2026-10-11T00:00")
    assert deadline_met(due, at("2026-10-10T23:59"), at("2026-10-20T00:00")) is True
    assert deadline_met(due, at("2026-10-11T00:01"), at("2026-10-20T00:00")) is False
    assert deadline_met(due, None, at("2026-10-10T00:00")) is None
    assert deadline_met(due, None, at("2026-10-11T00:00")) is False


@pytest.mark.parametrize(
    ("kind", "special", "reason", "promised", "text", "received", "message"),
    [
        (Q, True, "x", None, "t", "2026-09-30T10:00", "only a complaint can be special"),
        (C, True, "", None, "t", "2026-09-30T10:00", "needs the reason"),
        (C, False, "why", None, "t", "2026-09-30T10:00", "not marked special"),
        (C, False, None, date(2026, 10, 9), "t", "2026-09-30T10:00", "for suggestions"),
        (C, False, None, None, "   ", "2026-09-30T10:00", "text is empty"),
        (C, False, None, None, "字" * 20_001, "2026-09-30T10:00", "20001 characters"),
        (C, False, None, None, "t", "2026-09-30T12:05", "in the future"),
    ],
)
def test_bad_intake(kind, special, reason, promised, text, received, message):
    with pytest.raises(CaseInputError, match=message):
        validate_intake(kind, text, at(received), at("2026-09-30T12:00"), special=special,
                        special_reason=reason, promised_on=promised)


def test_parse_kind():
    assert parse_kind(" Complaint ") == C
    with pytest.raises(CaseInputError, match="not one of consultation, suggestion, complaint"):
        parse_kind("praise")
