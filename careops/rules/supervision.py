"""R7 monthly supervision figures as pure functions over plain facts (no database).

Each function takes rows the service read and returns table rows; the service names the basis
of each figure (which records, counted by which date). Every figure is taken at one instant,
`as_of` (the end of the month, `report_instant`): what was recorded at or after it is left out,
so a past month's report reads the same whichever day it is built.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

FINAL_OUTCOMES = ("reached", "declined")


def report_instant(month_end: datetime, now: datetime) -> datetime:
    """The instant a month's figures are taken at: its end (local midnight starting the next
    month, i.e. 24:00 of its last day), or `now` for a month not over yet."""
    return min(month_end, now.astimezone(month_end.tzinfo))


def known_at(moment: datetime | None, as_of: datetime) -> datetime | None:
    """`moment` if it happened before `as_of`, else None (not happened yet at the instant)."""
    return moment if moment is not None and moment < as_of else None


@dataclass(frozen=True)
class CallbackFact:
    assignee: str
    status: str  # open / done / missed (cancelled ones are not given)
    outcome: str | None
    satisfaction: int | None


@dataclass(frozen=True)
class Attempt:
    outcome: str
    satisfaction: int | None
    recorded_at: datetime


def callback_as_of(assignee: str, outcome: str | None, satisfaction: int | None,
                   recorded_at: datetime | None, attempts: Sequence[Attempt],
                   as_of: datetime, month_over: bool) -> CallbackFact:
    """A callback as it stood at `as_of` (R1). Its latest attempt recorded before `as_of`
    counts (one without attempts, e.g. imported, keeps its stored outcome unless that was
    recorded at or after `as_of`); reached or declined is done; once its month is over, a
    callback tried but not reached is done and one never tried is missed (what closing the
    month does, so a late record never changes the month); otherwise it is still open."""
    if attempts:
        known = [a for a in attempts if a.recorded_at < as_of]
        outcome, satisfaction = ((known[-1].outcome, known[-1].satisfaction) if known
                                 else (None, None))
    elif recorded_at is not None and recorded_at >= as_of:
        outcome, satisfaction = None, None
    if outcome in FINAL_OUTCOMES:
        status = "done"
    elif not month_over:
        status = "open"
    else:
        status = "done" if outcome is not None else "missed"
    return CallbackFact(assignee, status, outcome, satisfaction)


@dataclass(frozen=True)
class FaultFact:
    severity: str
    reported_at: datetime
    filed_at: datetime | None
    resolved_at: datetime | None
    analysed_at: datetime | None
    chases: int


def hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


def median_and_worst(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    known = [v for v in values if v is not None]
    if not known:
        return None, None
    return round(statistics.median(known), 1), round(max(known), 1)


def mean(values: Iterable[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 2) if known else None


def callback_rows(facts: Sequence[CallbackFact]) -> list[list]:
    """Per CS person, then a total: planned, reached, not reached, declined, missed, open,
    done %, mean satisfaction."""
    groups: dict[str, list[CallbackFact]] = defaultdict(list)
    for f in facts:
        groups[f.assignee].append(f)

    def row(name: str, items: list[CallbackFact]) -> list:
        outcomes = Counter(f.outcome for f in items if f.status == "done")
        statuses = Counter(f.status for f in items)
        planned = len(items)
        done = statuses["done"]
        return [name, planned, outcomes["reached"], outcomes["not_reached"],
                outcomes["declined"], statuses["missed"], statuses["open"],
                round(100 * done / planned, 1) if planned else None,
                mean(f.satisfaction for f in items)]

    rows = [row(name, items) for name, items in sorted(groups.items())]
    if rows:
        rows.append(row("", list(facts)))
    return rows


def fault_rows(facts: Sequence[FaultFact], severities: Sequence[str]) -> list[list]:
    """Per severity: reported, filed, resolved, analysed; median and worst hours to file (from
    the report), to resolve (from the report), to the analysis (from the resolution); chases."""
    out = []
    for severity in severities:
        items = [f for f in facts if f.severity == severity]
        file_m, file_w = median_and_worst(hours(f.reported_at, f.filed_at) for f in items)
        res_m, res_w = median_and_worst(hours(f.reported_at, f.resolved_at) for f in items)
        ana_m, ana_w = median_and_worst(hours(f.resolved_at, f.analysed_at) for f in items)
        out.append([severity, len(items), sum(f.filed_at is not None for f in items),
                    sum(f.resolved_at is not None for f in items),
                    sum(f.analysed_at is not None for f in items),
                    file_m, file_w, res_m, res_w, ana_m, ana_w, sum(f.chases for f in items)])
    return out


def case_rows(facts: Sequence, kinds: Sequence[str], as_of: datetime) -> list[list]:
    """Per kind, then a total, at the instant `as_of` (the facts are as they stood then):
    received, answered in time, answered late, overdue without an answer (deadline reached
    by `as_of`), open and not yet due (deadline after `as_of`), deadline pending (its calendar
    year unpublished), deadline met %, special, reopened, satisfied, not satisfied. Met % =
    in time / (in time + late + overdue): cases not yet due or with a pending deadline are not
    judged. A pending deadline known to fall after `as_of` (`due_after_as_of`: its year starts
    after the instant) is judged like any deadline after it."""

    def row(label: str, items: list) -> list:
        later = [c for c in items if c.due_at is None and getattr(c, "due_after_as_of", False)]
        waiting = sum(1 for c in items if c.due_at is None) - len(later)
        dated = [c for c in items if c.due_at is not None]
        in_time = sum(1 for c in dated if c.answered_at is not None and c.answered_at <= c.due_at)
        in_time += sum(1 for c in later if c.answered_at is not None)
        late = sum(1 for c in dated if c.answered_at is not None and c.answered_at > c.due_at)
        overdue = sum(1 for c in dated if c.answered_at is None and as_of >= c.due_at)
        pending = len(dated) + len(later) - in_time - late - overdue
        judged = in_time + late + overdue
        return [label, len(items), in_time, late, overdue, pending, waiting,
                round(100 * in_time / judged, 1) if judged else None,
                sum(1 for c in items if c.special), sum(1 for c in items if c.reopened_count),
                sum(1 for c in items if c.opinion == "satisfied"),
                sum(1 for c in items if c.opinion == "not_satisfied")]

    rows = [row(kind, [c for c in facts if c.kind == kind]) for kind in kinds]
    rows.append(row("", list(facts)))
    return rows


def count_rows(values: Iterable[str]) -> list[list]:
    return [[name, n] for name, n in sorted(Counter(values).items(), key=lambda kv: -kv[1])]


@dataclass(frozen=True)
class MeetingFact:
    week: str
    meeting_date: date
    expected: int | None  # None: not compiled (yet)
    submitted: int | None  # on time, at the compile


def weekly_rows(facts: Sequence[MeetingFact]) -> list[list]:
    """[week, meeting date, expected, on time, rate %] per compiled meeting, then the total.

    A meeting not compiled has no figures and is left out; the total rate is submissions
    over expected reports, so a week with more people weighs more.
    """
    rows = []
    for fact in sorted(facts, key=lambda f: f.meeting_date):
        if fact.expected is None or fact.submitted is None:
            continue
        rate = round(100 * fact.submitted / fact.expected, 1) if fact.expected else None
        rows.append([fact.week, fact.meeting_date.isoformat(), fact.expected, fact.submitted, rate])
    if rows:
        expected = sum(r[2] for r in rows)
        submitted = sum(r[3] for r in rows)
        rows.append(["", "", expected, submitted,
                     round(100 * submitted / expected, 1) if expected else None])
    return rows
