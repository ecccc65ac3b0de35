"""R1 customer callbacks (客户回访制度): due dates and assignment. Pure: no Prefect, no database.

Callbacks are anchored on the delivery date D (never on the previous callback, so nothing drifts):
seq 1..12 fall monthly at D + seq months, then quarterly at D + 15, D + 18, ... months. The day of
month is clamped to the month's end, and a due date that is not a working day moves to the next
working day.
"""

from __future__ import annotations

import heapq
from calendar import monthrange
from collections.abc import Hashable
from datetime import date
from typing import TypeVar

from careops.calendar import WorkCalendar
from careops.errors import CareopsError

K = TypeVar("K", bound=Hashable)

MONTHLY_CALLBACKS = 12
QUARTER = 3


class NoActiveStaff(CareopsError):
    """Callbacks need a balanced assignee but no CS staff member is active."""


def months_after_delivery(seq: int) -> int:
    """How many months after delivery callback ``seq`` (1-based) is due."""
    if seq < 1:
        raise CareopsError(f"callback seq must be >= 1, got {seq}")
    if seq <= MONTHLY_CALLBACKS:
        return seq
    return MONTHLY_CALLBACKS + QUARTER * (seq - MONTHLY_CALLBACKS)


def _seq_for_months(months: int) -> int | None:
    """The seq due exactly ``months`` months after delivery, or None if no callback falls there."""
    if 1 <= months <= MONTHLY_CALLBACKS:
        return months
    extra = months - MONTHLY_CALLBACKS
    if extra > 0 and extra % QUARTER == 0:
        return MONTHLY_CALLBACKS + extra // QUARTER
    return None


def _add_months(anchor: date, months: int) -> date:
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(anchor.day, monthrange(year, month)[1]))


def nominal_date(anchor: date, seq: int) -> date:
    """D + months_after_delivery(seq) months, day clamped to the month's end (not rolled)."""
    return _add_months(anchor, months_after_delivery(seq))


def due_date(anchor: date, seq: int, cal: WorkCalendar) -> date:
    """The nominal date rolled forward to a working day."""
    return cal.roll_forward(nominal_date(anchor, seq))


def due_dates(anchor: date, start: date, end: date, cal: WorkCalendar) -> list[tuple[int, date]]:
    """Every (seq, due) with start <= due <= end, in seq order."""
    out: list[tuple[int, date]] = []
    # A roll moves a date forward by days, never by a month: start one month before ``start``.
    months_to_start = (start.year - anchor.year) * 12 + start.month - anchor.month - 1
    if months_to_start <= MONTHLY_CALLBACKS:
        seq = max(1, months_to_start)
    else:
        seq = MONTHLY_CALLBACKS + max(1, (months_to_start - MONTHLY_CALLBACKS) // QUARTER)
    while True:
        nominal = nominal_date(anchor, seq)
        if nominal > end:
            return out
        due = cal.roll_forward(nominal)
        if start <= due <= end:
            out.append((seq, due))
        seq += 1


def due_in_month(anchor: date, year: int, month: int, cal: WorkCalendar) -> list[tuple[int, date]]:
    """The (seq, due) whose due date falls in year-month: the planning run's hot path.

    Only the seqs whose nominal date lies in this month or the previous one are candidates (a
    roll to the next working day moves at most ~10 days), so this costs one or two date
    computations per project whatever the project's age. The month's own calendar year must be
    published (UnknownCalendarYear otherwise), even for a project with nothing due that month, so a
    planning run for an unpublished year fails for every project alike.
    """
    cal.is_working_day(date(year, month, 1))
    months = (year - anchor.year) * 12 + month - anchor.month
    out: list[tuple[int, date]] = []
    for m in (months - 1, months):
        seq = _seq_for_months(m)
        if seq is None:
            continue
        due = cal.roll_forward(_add_months(anchor, m))
        if due.year == year and due.month == month:
            out.append((seq, due))
    return out


def assign_balanced(
    callbacks: list[tuple[K, int | None]],
    active_staff: list[int],
    current_load: dict[int, int],
) -> dict[K, int]:
    """Assign each callback key: to its preferred owner when that owner is active CS staff, else
    to the active staff member with the lowest load so far (ties: lowest staff id).

    ``current_load`` counts callbacks already assigned this month (it is not modified). Owners'
    callbacks are counted first, then the rest are balanced in input order, so the result is
    deterministic for a given input.
    """
    active = set(active_staff)
    load = {s: current_load.get(s, 0) for s in active}
    result: dict[K, int] = {}
    rest: list[K] = []
    for key, owner in callbacks:
        if owner is not None and owner in active:
            result[key] = owner
            load[owner] += 1
        else:
            rest.append(key)
    if not rest:
        return result
    if not active:
        raise NoActiveStaff(f"no active CS staff to assign {len(rest)} callbacks to")
    heap = [(n, s) for s, n in load.items()]
    heapq.heapify(heap)
    for key in rest:
        n, staff = heapq.heappop(heap)
        result[key] = staff
        heapq.heappush(heap, (n + 1, staff))
    return result
