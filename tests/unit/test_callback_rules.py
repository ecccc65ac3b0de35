"""R1 callback rules: due dates anchored on delivery, working-day rolls, balanced assignment."""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from careops.calendar import UnknownCalendarYear, WorkCalendar
from careops.errors import CareopsError
from careops.rules.callbacks import (
    NoActiveStaff,
    assign_balanced,
    due_date,
    due_dates,
    due_in_month,
    months_after_delivery,
    nominal_date,
)

D = date.fromisoformat
CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("seq", "months"), [(1, 1), (11, 11), (12, 12), (13, 15), (14, 18), (16, 24), (20, 36)]
)
def test_months_after_delivery(seq: int, months: int) -> None:
    assert months_after_delivery(seq) == months


def test_seq_must_be_positive() -> None:
    with pytest.raises(CareopsError, match="seq must be >= 1, got 0"):
        months_after_delivery(0)


@pytest.mark.parametrize(
    ("anchor", "seq", "nominal"),
    [
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-01-31", 1, "2024-02-29"),  # leap year
        ("2024-01-31", 2, "2024-03-31"),  # anchored on D, not on the clamped February date
        ("2024-02-29", 1, "2024-03-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 16, "2026-02-28"),  # +24 months
        ("2023-08-31", 13, "2024-11-30"),  # +15 months, clamped
        ("2025-03-31", 11, "2026-02-28"),
        ("2025-11-15", 2, "2026-01-15"),  # across New Year
    ],
)
def test_nominal_date_clamps_to_month_end(anchor: str, seq: int, nominal: str) -> None:
    assert nominal_date(D(anchor), seq) == D(nominal)


def test_quarterly_switch_after_twelve_months() -> None:
    anchor = D("2025-01-09")
    assert [nominal_date(anchor, s) for s in (11, 12, 13, 14)] == [
        D("2025-12-09"), D("2026-01-09"), D("2026-04-09"), D("2026-07-09")
    ]
    assert due_in_month(anchor, 2026, 1, CAL) == [(12, D("2026-01-09"))]
    assert due_in_month(anchor, 2026, 2, CAL) == []
    assert due_in_month(anchor, 2026, 3, CAL) == []
    assert due_in_month(anchor, 2026, 4, CAL) == [(13, D("2026-04-09"))]


@pytest.mark.parametrize(
    ("anchor", "seq", "due"),
    [
        ("2025-02-17", 12, "2026-02-24"),  # Spring Festival
        ("2025-12-15", 2, "2026-02-24"),  # Sun inside the break
        ("2025-12-21", 2, "2026-02-24"),  # Sat inside the break
        ("2025-12-14", 2, "2026-02-14"),  # make-up Saturday stays
        ("2025-11-28", 3, "2026-02-28"),  # make-up Saturday stays
        ("2026-01-01", 9, "2026-10-08"),  # National Day
        ("2026-01-04", 9, "2026-10-08"),
        ("2025-09-20", 12, "2026-09-20"),  # make-up Sunday stays
        ("2025-10-10", 12, "2026-10-10"),  # make-up Saturday stays
        ("2025-03-07", 12, "2026-03-09"),  # ordinary Saturday
        ("2024-12-31", 16, "2026-12-31"),  # last day of the last published year
    ],
)
def test_due_date_rolls_to_next_working_day(anchor: str, seq: int, due: str) -> None:
    assert due_date(D(anchor), seq, CAL) == D(due)


def test_callback_rolled_into_next_month_belongs_to_that_month() -> None:
    anchor = D("2025-12-31")  # seq 1 nominal 2026-01-31 (Sat) -> Mon 2026-02-02
    assert due_in_month(anchor, 2026, 1, CAL) == []
    assert due_in_month(anchor, 2026, 2, CAL) == [(1, D("2026-02-02")), (2, D("2026-02-28"))]
    assert due_dates(anchor, D("2026-01-01"), D("2026-01-31"), CAL) == []


def test_due_dates_over_a_range() -> None:
    assert due_dates(D("2025-01-15"), D("2025-11-01"), D("2026-07-31"), CAL) == [
        (10, D("2025-11-17")),  # Sat 15 Nov -> Mon
        (11, D("2025-12-15")),
        (12, D("2026-01-15")),
        (13, D("2026-04-15")),
        (14, D("2026-07-15")),
    ]
    assert due_dates(D("2025-01-15"), D("2025-01-01"), D("2025-01-31"), CAL) == []


def test_december_2026_plans_without_2027_but_january_2027_needs_it() -> None:
    anchor = D("2025-12-31")
    assert due_in_month(anchor, 2026, 12, CAL) == [(12, D("2026-12-31"))]
    for a in (anchor, D("2025-01-20")):  # nothing due in Jan 2027 / seq 16 due then
        with pytest.raises(UnknownCalendarYear, match="2027"):
            due_in_month(a, 2027, 1, CAL)


def test_due_in_month_matches_brute_force() -> None:
    rng = random.Random(20260214)
    first, last = D("2023-01-01"), D("2026-12-31")
    months = [(y, m) for y in range(2023, 2027) for m in range(1, 13)]
    for _ in range(3000):
        anchor = first + timedelta(days=rng.randrange((last - first).days + 1))
        expected: dict[tuple[int, int], list[tuple[int, date]]] = defaultdict(list)
        seq = 1
        while nominal_date(anchor, seq) <= last:
            due = due_date(anchor, seq, CAL)
            expected[(due.year, due.month)].append((seq, due))
            seq += 1
        for year, month in months:
            got = due_in_month(anchor, year, month, CAL)
            assert got == expected[(year, month)], (anchor, year, month)
        year, month = rng.choice(months)
        start = date(year, month, 1)
        end = min(last, start + timedelta(days=rng.randrange(40, 400)))
        brute = [x for v in expected.values() for x in v if start <= x[1] <= end]
        assert due_dates(anchor, start, end, CAL) == sorted(brute), (anchor, start, end)


# -- assignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("callbacks", "staff", "load", "expected"),
    [
        pytest.param([("a", 1), ("b", 2)], [1, 2, 3], {}, {"a": 1, "b": 2}, id="owner-kept"),
        pytest.param([("a", 9), ("b", None)], [1, 2], {}, {"a": 1, "b": 2}, id="inactive-owner"),
        pytest.param(
            [("a", None), ("b", None), ("c", None), ("d", None)],
            [3, 1, 2],
            {1: 2, 2: 0, 3: 1},
            {"a": 2, "b": 2, "c": 3, "d": 1},
            id="existing-loads",
        ),
        pytest.param(
            [("x", None), ("o1", 1), ("o2", 1)], [1, 2], {}, {"x": 2, "o1": 1, "o2": 1},
            id="owners-count-first",
        ),
        pytest.param([("a", None)], [1], {1: 5, 7: 0}, {"a": 1}, id="inactive-load-ignored"),
        pytest.param([], [], {}, {}, id="nothing-to-assign"),
        pytest.param([("a", 4)], [4], {}, {"a": 4}, id="owned-needs-no-pool"),
    ],
)
def test_assign_balanced(callbacks, staff, load, expected) -> None:
    before = dict(load)
    assert assign_balanced(callbacks, staff, load) == expected
    assert load == before  # the caller's load is not modified


def test_assign_balanced_spreads_evenly() -> None:
    result = assign_balanced([(i, None) for i in range(10)], [2, 1, 3], {})
    counts = {s: list(result.values()).count(s) for s in (1, 2, 3)}
    assert counts == {1: 4, 2: 3, 3: 3}
    assert [result[i] for i in range(4)] == [1, 2, 3, 1]


@pytest.mark.parametrize("callbacks", [[("a", None)], [("a", 5), ("b", 6)]])
def test_assign_balanced_without_staff_raises(callbacks) -> None:
    with pytest.raises(NoActiveStaff, match=f"no active CS staff to assign {len(callbacks)} "):
        assign_balanced(callbacks, [], {})
