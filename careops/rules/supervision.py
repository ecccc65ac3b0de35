"""R7 monthly supervision figures as pure functions over plain facts (no database).

Each function takes rows the service read and returns table rows; the service names the basis
of each figure (which records, counted by which date).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CallbackFact:
    assignee: str
    status: str  # open / done / missed (cancelled ones are not given)
    outcome: str | None
    satisfaction: int | None


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


def case_rows(facts: Sequence, kinds: Sequence[str], now: datetime) -> list[list]:
    """Per kind, then a total: received, answered in time, answered late, overdue without an
    answer, open and not yet due, deadline pending (its calendar year unpublished), deadline
    met %, special, reopened, satisfied, not satisfied. Met % = in time / (in time + late +
    overdue): cases not yet due or with a pending deadline are not judged."""

    def row(label: str, items: list) -> list:
        waiting = sum(1 for c in items if c.due_at is None)
        dated = [c for c in items if c.due_at is not None]
        in_time = sum(1 for c in dated if c.answered_at is not None and c.answered_at <= c.due_at)
        late = sum(1 for c in dated if c.answered_at is not None and c.answered_at > c.due_at)
        overdue = sum(1 for c in dated if c.answered_at is None and now >= c.due_at)
        pending = len(dated) - in_time - late - overdue
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
