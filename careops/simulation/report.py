"""The printed figures of a simulated span: per process, the world's end state, the time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from careops.db.models.callbacks import Callback, CallbackMonth
from careops.db.models.cases import Case
from careops.db.models.outbox import OutboxMessage
from careops.db.models.survey import CampaignMember, SurveyAnswer
from careops.db.models.watch import WatchPeriod
from careops.db.models.weekly import WeeklyMeeting
from careops.simulation.core import Sim


@dataclass
class Outcome:
    span: str
    world: dict
    figures: dict[str, Counter]
    state: dict[str, dict]
    violations: list[str]
    seconds: float
    steps: int
    anchor_seconds: float
    mails_received: int = 0
    excluded: dict[str, str] = field(default_factory=dict)
    calendar_waits: list[str] = field(default_factory=list)


def end_state(sim: Sim) -> dict[str, dict]:
    """What the database holds at the end, per process."""
    with (uow := sim.uow()):
        s = uow.session

        def grouped(*columns, where=()) -> dict:
            query = select(*columns, func.count()).where(*where).group_by(*columns)
            return {" ".join(str(v) for v in row[:-1]): row[-1] for row in s.execute(query)}

        cases: Counter[str] = Counter()
        for kind, due, answered in s.execute(select(Case.kind, Case.due_at, Case.answered_at)):
            state = (
                "deadline pending"
                if due is None
                else "met"
                if answered and answered <= due
                else "breached"
                if answered or sim.now > due
                else "open"
            )
            cases[f"{kind} {state}"] += 1
        return {
            "callbacks": grouped(Callback.status)
            | {
                "months closed": s.scalar(
                    select(func.count())
                    .select_from(CallbackMonth)
                    .where(CallbackMonth.closed_at.is_not(None))
                )
            },
            "weekly meetings": {
                "compiled": s.scalar(
                    select(func.count())
                    .select_from(WeeklyMeeting)
                    .where(WeeklyMeeting.compiled_at.is_not(None))
                ),
                "submissions on time": s.scalar(
                    select(func.coalesce(func.sum(WeeklyMeeting.submitted_count), 0))
                ),
                "expected": s.scalar(
                    select(func.coalesce(func.sum(WeeklyMeeting.expected_count), 0))
                ),
            },
            "holiday windows": {
                "watched": s.scalar(
                    select(func.count()).select_from(WatchPeriod).where(WatchPeriod.rounds > 0)
                ),
                "rounds": s.scalar(select(func.coalesce(func.sum(WatchPeriod.rounds), 0))),
                "reported": s.scalar(
                    select(func.count())
                    .select_from(WatchPeriod)
                    .where(WatchPeriod.reported_at.is_not(None))
                ),
            },
            "survey": {
                "invited": s.scalar(
                    select(func.count())
                    .select_from(CampaignMember)
                    .where(CampaignMember.invited_at.is_not(None))
                ),
                "answered": s.scalar(select(func.count()).select_from(SurveyAnswer)),
            },
            "cases (kind, deadline)": dict(sorted(cases.items())),
            "mail by category": grouped(OutboxMessage.category),
        }


def lines(outcome: Outcome) -> list[str]:
    out = [f"careops simulate {outcome.span}: {outcome.world}", "", "per process (runs, figures):"]
    for name in sorted(outcome.figures):
        figures = outcome.figures[name]
        rest = ", ".join(f"{k} {v}" for k, v in figures.items() if k != "runs" and v)
        out.append(f"  {name:<34} {figures['runs']:>6} runs  {rest}")
    for name, reason in outcome.excluded.items():
        out.append(f"  {name:<34} not simulated: {reason}")
    out += ["", "end state:"]
    for part, values in outcome.state.items():
        out.append(f"  {part}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
    out += [
        "",
        f"mails received by the SMTP sink: {outcome.mails_received}",
        f"time: {outcome.seconds:.1f} s for {outcome.steps} steps "
        f"({outcome.seconds / max(outcome.steps, 1) * 1000:.2f} ms a step); anchor: "
        f"{outcome.steps} plain one-query transactions on the same database took "
        f"{outcome.anchor_seconds:.2f} s "
        f"(ratio {outcome.seconds / max(outcome.anchor_seconds, 1e-9):.0f}x)",
    ]
    if outcome.calendar_waits:
        out += [
            "",
            f"{len(outcome.calendar_waits)} run(s) failed waiting for an unpublished "
            "calendar year (config/calendar/YYYY.toml):",
        ]
        out += [f"  - {w}" for w in outcome.calendar_waits]
    if outcome.violations:
        out += ["", f"{len(outcome.violations)} invariant violation(s):"]
        out += [f"  - {v}" for v in outcome.violations]
    else:
        out += [
            "",
            "invariants hold: nothing created or mailed twice, every callback done or "
            "missed, every meeting compiled, every window watched",
        ]
    return out
