"""One scenario per scheduled deployment of prefect.yaml, for the concurrent-runs chaos test:
a world in which the flow acts (the integration tests' builders, careops.demo), the moment of
its scheduled run (Asia/Shanghai) and the run itself. A scheduled deployment without a scenario
here fails the test by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import yaml

from careops.bootstrap import get_calendar, get_mailer
from careops.clock import FrozenClock
from careops.db.uow import UnitOfWork
from careops.settings import PROJECT_ROOT

SH = ZoneInfo("Asia/Shanghai")


def scheduled_deployments() -> list[str]:
    """Every deployment of prefect.yaml that has a schedule."""
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return [d["name"] for d in config["deployments"] if d.get("schedules")]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@dataclass(frozen=True)
class Scenario:
    moment: datetime  # when the scheduled run happens (the frozen clock)
    setup: Callable[[UnitOfWork, FrozenClock], None]  # builds the world (may move the clock)
    run: Callable[[], object]  # one scheduled run: the flow as its schedule calls it
    deliver_setup: bool = True  # False: the world's mail stays queued for the run


def _demo(uow: UnitOfWork, clock: FrozenClock) -> None:
    from careops.demo import seed_demo

    seed_demo(uow, today=date(2026, 11, 1))


def _demo_planned(uow: UnitOfWork, clock: FrozenClock) -> None:
    """Demo data with November's callbacks planned and their call lists queued."""
    from careops.months import Month
    from careops.services.callbacks.planning import plan_and_notify

    _demo(uow, clock)
    clock.now = at("2026-11-02T09:00")
    plan_and_notify(uow, Month.parse("2026-11"), get_calendar(), get_mailer(), clock(), SH)


def _demo_outbox(uow: UnitOfWork, clock: FrozenClock) -> None:
    from tests.integration.test_delivery import _enqueue

    _demo_planned(uow, clock)
    _enqueue(uow.engine, 200, prefix="sweep")


def _weekly(uow: UnitOfWork, clock: FrozenClock) -> None:
    from tests.integration.weekly_world import build_world

    build_world(uow)


def _fault(uow: UnitOfWork, clock: FrozenClock) -> None:
    """A major fault reported and never filed: the chase of the unfiled report is due."""
    from careops.services.faults.env import FaultEnv
    from careops.services.faults.steps import report_fault
    from tests.integration.fault_world import START, build_world, report

    build_world(uow)
    report_fault(uow, report(), FaultEnv.from_settings(), START)


def _cases(uow: UnitOfWork, clock: FrozenClock) -> None:
    """A complaint and a consultation taken on 30 September (deadlines 24 h and 10 October)."""
    from careops.rules.cases import CaseKind
    from careops.services.cases import steps as service
    from careops.services.cases.notices import CaseEnv
    from tests.integration.case_world import build_world, intake

    build_world(uow)
    env = CaseEnv.from_settings()
    service.open_case(uow, intake(), env, at("2026-09-30T16:05"))
    service.open_case(
        uow, intake(CaseKind.CONSULTATION, text="发票怎么开"), env, at("2026-09-30T16:05")
    )


def _closed_cases(uow: UnitOfWork, clock: FrozenClock) -> None:
    """Two complaints answered on 9 October 2026 (one important), one consultation open."""
    from careops.rules.cases import CaseKind, Opinion
    from careops.services.cases import steps as service
    from careops.services.cases.notices import CaseEnv
    from tests.integration.case_world import build_world, intake

    build_world(uow)
    env = CaseEnv.from_settings()
    ids = [
        service.open_case(
            uow,
            intake(kind, text=f"{kind} {important}", important=important),
            env,
            at("2026-09-30T16:05"),
        ).case_id
        for kind, important in (
            (CaseKind.COMPLAINT, False),
            (CaseKind.COMPLAINT, True),
            (CaseKind.CONSULTATION, False),
        )
    ]
    for case_id in ids[:2]:
        service.send_result(uow, case_id, "已处理", "王芳", env, at("2026-10-09T10:00"))
        service.record_opinion(uow, case_id, Opinion.SATISFIED, None, env, at("2026-10-09T10:00"))


def _november(uow: UnitOfWork, clock: FrozenClock) -> None:
    from tests.integration.test_monthly_report import _callbacks, _cases, _faults, _world

    ids = _world(uow)
    _callbacks(uow, ids)
    _faults(uow, ids)
    _cases(uow)


def _survey(uow: UnitOfWork, clock: FrozenClock) -> None:
    from tests.integration.survey_world import survey_world

    survey_world(uow)


def _campaign(uow: UnitOfWork, clock: FrozenClock) -> None:
    """The survey world with December's campaign built and the invitations sent (the flow)."""
    from flows.december_campaign import december_campaign

    _survey(uow, clock)
    clock.now = at("2026-12-01T09:00")
    december_campaign()


def _nothing(uow: UnitOfWork, clock: FrozenClock) -> None:
    pass


def _flow(module: str, name: str) -> Callable[[], object]:
    def run() -> object:
        import importlib

        return getattr(importlib.import_module(module), name)(return_state=True)

    return run


SCENARIOS: dict[str, Scenario] = {
    "plan-callbacks": Scenario(
        at("2026-11-02T09:00"), _demo, _flow("flows.plan_callbacks", "plan_callbacks")
    ),
    "close-callback-month": Scenario(
        at("2026-12-01T00:30"),
        _demo_planned,
        _flow("flows.close_callback_month", "close_callback_month"),
    ),
    "weekly-reminder": Scenario(
        at("2026-09-30T09:30"), _weekly, _flow("flows.weekly_reminder", "weekly_reminder")
    ),
    "deliver-outbox": Scenario(
        at("2026-11-02T12:20"),
        _demo_outbox,
        _flow("flows.deliver_outbox", "deliver_outbox"),
        deliver_setup=False,
    ),
    "fault-watch": Scenario(
        at("2026-03-16T11:05"), _fault, _flow("flows.fault_watch", "fault_watch")
    ),
    "case-deadlines": Scenario(
        at("2026-10-11T09:00"), _cases, _flow("flows.case_deadlines", "case_deadlines")
    ),
    "purge-cases": Scenario(
        at("2027-10-10T03:00"), _closed_cases, _flow("flows.purge_cases", "purge_cases")
    ),
    "monthly-report": Scenario(
        at("2026-12-01T08:00"), _november, _flow("flows.monthly_report", "monthly_report")
    ),
    "december-campaign": Scenario(
        at("2026-12-01T09:00"), _survey, _flow("flows.december_campaign", "december_campaign")
    ),
    "survey-reminders": Scenario(
        at("2026-12-15T10:00"), _campaign, _flow("flows.survey_reminders", "survey_reminders")
    ),
    "survey-digest": Scenario(
        at("2026-12-07T09:00"), _campaign, _flow("flows.survey_digest", "survey_digest")
    ),
    "needs-summary": Scenario(
        at("2027-01-06T09:00"), _campaign, _flow("flows.needs_summary", "needs_summary")
    ),
    # the daily health check on the harness: its problems are mailed once a day each
    "doctor": Scenario(at("2026-12-01T07:30"), _nothing, _flow("flows.doctor", "doctor")),
    # the weekly safety sweep in December: 2027's calendar is missing: New Year 2027 is planned
    # on a provisional window (readiness and window wakeups), ops are told once
    "holiday-watch": Scenario(
        at("2026-12-01T09:00"), _nothing, _flow("flows.holiday_watch", "holiday_watch")
    ),
}
