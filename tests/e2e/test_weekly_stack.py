"""R4 through the real path: `careops stack up` (Prefect server + worker + SMTP catcher).

The reminder's link opens the submit-weekly-report run form of this very server; a run of that
deployment (the UI's form) stores the report; weekly-compile mails it with the chart to the
catcher. Takes ~60 s.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.models.weekly import WeeklySubmission
from careops.db.uow import UnitOfWork
from tasks.weekly import schedule_steps
from tests.integration.weekly_world import build_world
from tests.support.stack import client_auth, running_stack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]
RUN_TIMEOUT = 90.0


async def _run(api_url: str, name: str, parameters: dict) -> tuple[str, str, str]:
    """Run deployment `name` through the worker; (final state type, its message, deployment id)."""
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url, auth_string=client_auth()) as client:
        deployment = next(d for d in await client.read_deployments() if d.name == name)
        run = await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run.state.type.value, run.state.message or "", str(deployment.id)
            await asyncio.sleep(0.5)
    return "TIMEOUT", "", str(deployment.id)


async def _expected_starts(api_url: str, runs: dict[str, str | None]) -> dict[str, str]:
    from prefect.client.orchestration import PrefectClient

    out = {}
    async with PrefectClient(api_url, auth_string=client_auth()) as client:
        for run_id in runs.values():
            assert run_id is not None, runs
            run = await client.read_flow_run(run_id)
            deployment = await client.read_deployment(run.deployment_id)
            assert run.state is not None and run.state.is_scheduled()
            out[deployment.name] = run.expected_start_time.isoformat()
    return out


def _mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(mail_dir.glob("*.eml"))]


def test_weekly_report_through_the_stack(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'careops.db'}"  # the database running_stack() gives the stack
    upgrade(url)
    build_world(UnitOfWork(get_engine(url)))
    with running_stack(tmp_path, "--no-demo") as stack:
        assert stack.database_url == url
        api, w40 = stack.api_url, {"params": {"week": "2026-W40"}}
        state, _msg, _id = asyncio.run(_run(api, "weekly-reminder", w40))
        assert state == "COMPLETED", stack.output
        reminder = _wait_for_mail(stack.mail_dir, lambda m: m["To"] == "ts001@careops.test")
        text = reminder.get_body(preferencelist=("plain",)).get_content()
        form = {"staff_code": "TS001", "service_situation": "巡检 3 个站点，均正常",
                "customer_feedback": "客户希望增加培训", "week": "2026-W40"}
        state, _msg, submit_id = asyncio.run(_run(api, "submit-weekly-report", {"form": form}))
        assert state == "COMPLETED", stack.output
        assert f"http://127.0.0.1:{stack.port}/deployments/deployment/{submit_id}/run" in text
        with UnitOfWork(get_engine(url)) as uow:
            assert uow.session.scalar(select(WeeklySubmission.channel)) == "ui"

        bad = dict(form, staff_code="TS0O1")
        state, message, _id = asyncio.run(_run(api, "submit-weekly-report", {"form": bad}))
        assert state == "FAILED" and "unknown staff code 'TS0O1'" in message

        state, _msg, _id = asyncio.run(_run(api, "weekly-compile", w40))
        assert state == "COMPLETED", stack.output
        report = _wait_for_mail(stack.mail_dir, lambda m: "周报汇总" in str(m["Subject"]))
        assert "csh@careops.test" in report["To"]
        assert any(p.get_content_type() == "image/png" for p in report.walk())

        # the meeting day's reminder schedules the nudge and the compile at the exact minute
        first = schedule_steps("2026-W50", api=api)  # meeting Friday 2026-12-11
        assert schedule_steps("2026-W50", api=api) == first  # idempotent per deployment, minute
        starts = asyncio.run(_expected_starts(api, first))
        assert starts == {"weekly-nudge": "2026-12-11T05:00:00+00:00",
                          "weekly-compile": "2026-12-11T06:00:00+00:00"}
    assert "Traceback" not in stack.output


def _wait_for_mail(mail_dir: Path, wanted) -> email.message.EmailMessage:
    """The first mail in the catcher matching `wanted` (the relay may deliver it a bit later)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        found = [m for m in _mails(mail_dir) if wanted(m)]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no such mail in {mail_dir}")
