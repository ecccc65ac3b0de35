"""The R4 flows under Prefect on a frozen clock: a moved meeting, a week and a day without one.

Mail is read back from the loopback SMTP server; the clock is frozen through `careops.clock`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from pydantic import ValidationError

import careops.clock
import careops.wakeups
from careops.clock import FrozenClock
from careops.db.uow import UnitOfWork
from careops.services.weekly.meetings import WeeklyEnv
from careops.services.weekly.submissions import mark_away
from flows.weekly_compile import WeeklyCompileParams, weekly_compile
from flows.weekly_nudge import weekly_nudge
from flows.weekly_reminder import weekly_reminder
from flows.weekly_submit import WeeklyReportForm, submit_weekly_report
from tests.integration.weekly_world import (
    CS_HEAD,
    MOVED_MEETING,
    TS1,
    TS2,
    TS3,
    TS_AWAY,
    TS_HEAD,
    build_world,
    email,
)

pytestmark = pytest.mark.usefixtures("prefect")


@pytest.fixture
def wakeups(monkeypatch) -> list[tuple[str, datetime]]:
    """The exact-time runs the flows ask the Prefect server for (the harness has no deployments;
    tests/e2e/test_weekly_stack.py schedules them on a real server)."""
    asked: list[tuple[str, datetime]] = []

    def schedule(deployment, at, now, *, reason, api=None):
        asked.append((deployment, at))
        return f"run-{len(asked)}"

    monkeypatch.setattr(careops.wakeups, "schedule_wakeup", schedule)
    return asked


@pytest.fixture
def clock(sqlite_settings, monkeypatch, wakeups) -> FrozenClock:
    build_world(UnitOfWork())
    frozen = FrozenClock(MOVED_MEETING)
    monkeypatch.setattr(careops.clock, "utcnow", frozen)
    return frozen


def _artifact(key: str) -> str | None:
    async def fetch():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                sort=ArtifactSort.CREATED_DESC)  # the latest version of the key
            return found[0].data if found else None

    return asyncio.run(fetch())


def _form(code: str, situation: str, **kw) -> WeeklyReportForm:
    return WeeklyReportForm(staff_code=code, service_situation=situation,
                            customer_feedback=kw.pop("feedback", "客户满意"), **kw)


def test_a_moved_meeting_through_the_flows(clock, smtp):
    mark_away(UnitOfWork(), WeeklyEnv.from_settings(), TS_AWAY, "2026-W40", clock(), reason="出差")
    reminded = weekly_reminder()
    assert reminded["week"] == "2026-W40" and reminded["delivery"]["sent"] == 4
    assert sorted(m.envelope_to[0] for m in smtp.messages) == sorted(
        email(c) for c in (TS_HEAD, TS1, TS2, TS3))
    assert "星期三" in smtp.to(email(TS1))[0].subject
    assert weekly_reminder()["queued"] == [] and len(smtp.messages) == 4

    clock.advance(hours=1)
    submitted = submit_weekly_report(_form(TS1, "巡检 3 个站点", problems_needing_help="缺备件"))
    assert submitted["revision"] == 1 and not submitted["late"]
    smtp.clear()
    clock.advance(hours=2.5)  # 13:00
    assert sorted(weekly_nudge()["queued"]) == sorted([TS_HEAD, TS2, TS3])
    assert sorted(m.envelope_to[0] for m in smtp.messages) == sorted(
        email(c) for c in (TS_HEAD, TS2, TS3))

    smtp.clear()
    clock.advance(hours=1)  # 14:00
    compiled = weekly_compile()
    assert compiled["report"]["submitted"] == 1 and compiled["report"]["expected"] == 4
    report = smtp.to(CS_HEAD)
    assert len(report) == 1 and "已提交 1/4" in report[0].subject
    assert "巡检 3 个站点" in report[0].text() and "缺备件" in report[0].text()
    assert any(p.get_content_type() == "image/png" for p in report[0].message.walk())
    artifact = _artifact("weekly-2026-w40")
    assert artifact and "1 of 4" in artifact and "巡检 3 个站点" in artifact
    assert weekly_compile(WeeklyCompileParams(week="2026-W40"))["already"]
    assert len(smtp.to(CS_HEAD)) == 1

    clock.advance(minutes=30)
    late = submit_weekly_report(_form(TS2, "补交：处理打印机驱动问题"))
    assert late["late"] and len(smtp.to(CS_HEAD)) == 2 and len(smtp.to(email(TS_AWAY))) == 2
    assert "补交" in smtp.to(CS_HEAD)[1].subject
    assert "补交：处理打印机驱动问题" in _artifact("weekly-2026-w40")


@pytest.mark.parametrize(
    ("now", "message"),
    [
        # Friday of Spring Festival 2026: the week has no meeting at all
        (datetime(2026, 2, 20, 1, 30, tzinfo=UTC),
         "no meeting today (2026-02-20); next meeting 2026-02-27"),
        # Monday of the moved-meeting week
        (datetime(2026, 9, 28, 1, 30, tzinfo=UTC),
         "no meeting today (2026-09-28); next meeting 2026-09-30"),
        # Friday 2026-10-02 itself: the meeting was on Wednesday
        (datetime(2026, 10, 2, 6, 0, tzinfo=UTC),
         "no meeting today (2026-10-02); next meeting 2026-10-09"),
    ],
)
def test_scheduled_runs_on_other_days_end_at_once_as_no_meeting(clock, smtp, now, message):
    clock.now = now
    for step in (weekly_reminder, weekly_nudge, weekly_compile):
        state = step(return_state=True)
        assert state.name == "No meeting" and state.message == message
        assert state.result() == {"skipped": message}
    assert smtp.messages == []


def test_the_form_refuses_empty_text_and_the_flow_names_bad_staff(clock):
    with pytest.raises(ValidationError, match="service_situation"):
        _form(TS1, "")
    with pytest.raises(ValidationError, match="week"):
        _form(TS1, "正常", week="2026-48")
    with pytest.raises(Exception, match="unknown staff code 'TS0O1'; did you mean TS001"):
        submit_weekly_report(_form("TS0O1", "正常"))
    with pytest.raises(Exception, match="2026-W08 has no meeting"):
        submit_weekly_report(_form(TS1, "正常", week="2026-W08"))


def test_a_compile_that_cannot_be_scheduled_fails_the_reminder_run(clock, smtp, monkeypatch):
    monkeypatch.setattr(careops.wakeups, "schedule_wakeup", lambda *a, **k: None)
    state = weekly_reminder(return_state=True)
    assert state.is_failed() and "compile could not be scheduled" in state.message
    assert len(smtp.messages) == 6  # the reminders went out all the same, and ops are told:
    assert "weekly-reminder" in smtp.to("ops@careops.local")[0].subject


def test_a_lost_compile_is_caught_up_by_the_next_reminder_run(clock, smtp):
    weekly_reminder()  # Wednesday 09-30: reminded; the 14:00 compile run never happens
    smtp.clear()
    clock.now = datetime(2026, 10, 8, 1, 30, tzinfo=UTC)  # Thursday 10-08, no meeting
    result = weekly_reminder()
    assert result["caught_up"] == ["2026-W40"] and len(smtp.to(CS_HEAD)) == 1
    assert "已提交 0/5" in smtp.to(CS_HEAD)[0].subject
    assert weekly_reminder(return_state=True).name == "No meeting"  # caught up once
