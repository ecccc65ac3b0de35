"""R7 at an instant (careops.rules.supervision): the month's end, callbacks and cases as they
stood then."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from careops.rules.supervision import (
    Attempt,
    CallbackFact,
    callback_as_of,
    case_rows,
    report_instant,
)
from careops.services.cases.archive import CaseFact

SH = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 12, 1, tzinfo=SH)  # November's end


def test_the_instant_is_the_months_end_or_now_before_it():
    assert report_instant(END, END + timedelta(days=400)) == END
    before = datetime(2026, 11, 20, 2, tzinfo=ZoneInfo("UTC"))
    assert report_instant(END, before) == before and report_instant(END, before).tzinfo is SH


def test_a_callback_stands_as_its_attempts_before_the_instant():
    late = Attempt("reached", 5, END + timedelta(days=2))
    tried = Attempt("not_reached", None, END - timedelta(days=3))
    assert callback_as_of("A", "reached", 5, late.recorded_at, [late], END, True) == (
        CallbackFact("A", "missed", None, None)
    )  # recorded late: missed at the month's end
    assert callback_as_of("A", "reached", 5, late.recorded_at, [tried, late], END, True) == (
        CallbackFact("A", "done", "not_reached", None)
    )  # tried, not reached: done
    assert callback_as_of("A", "not_reached", None, None, [tried], END, False).status == "open"
    assert callback_as_of("A", "declined", None, None, [], END, True).status == "done"  # import
    assert callback_as_of("A", "reached", 4, END, [], END, True).status == "missed"  # at END


def _case(due, answered, later=False) -> CaseFact:
    return CaseFact(
        "complaint", "phone", None, False, END - timedelta(days=5), due, answered, None, 0, later
    )


def test_deadlines_are_judged_at_the_instant():
    facts = [
        _case(END + timedelta(days=4), None),  # open, not yet due
        _case(END, None),  # due at 24:00 of the last day: overdue at the end
        _case(END - timedelta(days=1), END - timedelta(days=2)),  # in time
        _case(None, None),  # pending, its year may be this one
        _case(None, END - timedelta(hours=1), later=True),  # pending, its year starts later
        _case(None, None, later=True),  # ... not yet due
    ]
    assert case_rows(facts, ["complaint"], END)[0][:8] == ["complaint", 6, 2, 0, 1, 2, 1, 66.7]
