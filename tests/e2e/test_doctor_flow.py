"""The scheduled doctor through Prefect (the test harness): the real checks against this run's
Prefect API, one ops mail per problem and day from the SMTP sink, the state and the artifact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prefect.client.orchestration import get_client

import careops.clock
import careops.doctor
from careops.clock import FrozenClock
from careops.doctor import Check, Status
from flows.doctor import DoctorParams, doctor

pytestmark = pytest.mark.usefixtures("prefect")

# 07:30 Asia/Shanghai on 1 June 2026: the next 90 days need only the published 2026 calendar
JUNE_MORNING = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)


def _latest_artifact(key: str) -> str:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    async def fetch() -> str:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                sort=ArtifactSort.CREATED_DESC,
                limit=1,
            )
            return found[0].data

    return asyncio.run(fetch())


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    clock = FrozenClock(JUNE_MORNING)
    monkeypatch.setattr(careops.clock, "utcnow", clock)
    return clock


def test_problems_are_mailed_once_a_day_and_the_run_completes(sqlite_settings, smtp, frozen):
    quiet = doctor(DoctorParams(send=False), return_state=True)  # the artifact only
    assert quiet.name == "Problems found" and "none (send off)" in quiet.message
    assert smtp.messages == []
    # the harness's Prefect server has none of prefect.yaml's deployments and no worker
    state = doctor(return_state=True)
    assert state.is_completed() and state.name == "Problems found", state.message
    subjects = {m.subject for m in smtp.messages}
    assert subjects == {
        "【careops 体检】2026年6月1日 检查未通过：部署",
        "【careops 体检】2026年6月1日 检查未通过：工作进程",
    }, subjects
    assert "deployments, worker" in state.message
    artifact = _latest_artifact("doctor")
    assert "**deployments** (mailed to ops)" in artifact and "| calendar | ok |" in artifact

    again = doctor(DoctorParams(), return_state=True)  # a re-run the same morning
    assert again.name == "Problems found" and "told earlier today" in again.message
    assert len(smtp.messages) == 2
    assert "**worker** (ops mailed earlier today)" in _latest_artifact("doctor")

    frozen.advance(days=1)  # still failing tomorrow: mailed again
    doctor(return_state=True)
    assert len(smtp.messages) == 4 and "2026年6月2日" in smtp.messages[-1].subject


def test_a_healthy_day_ends_healthy_and_mails_nobody(sqlite_settings, smtp, frozen, monkeypatch):
    def all_ok(settings, now, today):  # a fake: every part of careops answers
        return [Check(name, Status.OK, "fine") for name in ("database", "smtp", "calendar")]

    monkeypatch.setattr(careops.doctor, "run_checks", all_ok)
    state = doctor(return_state=True)
    assert state.is_completed() and state.name == "Healthy", state
    assert state.message == "all 3 checks ok" and smtp.messages == []
    assert _latest_artifact("doctor").startswith("# careops doctor 2026-06-01: healthy")
