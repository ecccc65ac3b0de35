"""Prepare the stack's Prefect server: work pool, deployments of prefect.yaml, stale runs.

Talks to the server through an explicit `PrefectClient(api_url)`, so it never depends on the
Prefect settings this process happened to import with; the API auth string comes from careops's
settings (prefect.auth_string, else the stack's generated one: careops.secrets), and a stray
PREFECT_API_KEY is never sent.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

import yaml

from careops.errors import StackError
from careops.stack.config import StackConfig

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

T = TypeVar("T")


# Prefect's scheduler creates runs up to 100 days ahead (server.services.scheduler
# max_scheduled_time); a little less, so a run at the edge is not waited for.
SCHEDULER_HORIZON = timedelta(days=90)


@dataclass(frozen=True)
class PlannedDeployment:
    """One deployment of prefect.yaml, as the file declares it."""

    name: str
    entrypoint: str
    schedules: tuple[tuple[str, str], ...]  # (cron, timezone)

    def module_exists(self, root: Path) -> bool:
        return (root / self.entrypoint.split(":", 1)[0]).is_file()

    def fires_within(self, now: datetime, horizon: timedelta = SCHEDULER_HORIZON) -> bool:
        """Whether a schedule fires between `now` and `now + horizon`: only then can the
        server's scheduler have created an upcoming run (a yearly run in December has none in
        February)."""
        from prefect._vendor.croniter import croniter

        for cron, tz in self.schedules:
            start = now.astimezone(ZoneInfo(tz))
            if croniter(cron, start).get_next(datetime) <= start + horizon:
                return True
        return False


def planned_deployments(root: Path) -> list[PlannedDeployment]:
    data = yaml.safe_load((root / "prefect.yaml").read_text(encoding="utf-8")) or {}
    planned = []
    for item in data.get("deployments") or []:
        schedules = tuple(
            (str(s["cron"]), str(s.get("timezone") or "UTC"))
            for s in item.get("schedules") or []
            if "cron" in s
        )
        planned.append(PlannedDeployment(item["name"], item["entrypoint"], schedules))
    return planned


def with_client(api_url: str, action: Callable[[PrefectClient], Awaitable[T]]) -> T:
    from prefect.client.orchestration import PrefectClient

    from careops.secrets import prefect_auth
    from careops.settings import get_settings

    auth = prefect_auth(get_settings())

    async def run() -> T:
        async with PrefectClient(api_url, auth_string=auth) as client:
            return await action(client)

    return asyncio.run(run())


def ensure_work_pool(config: StackConfig) -> bool:
    """Create the process work pool unless it exists; True when created."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async def create(client: PrefectClient) -> bool:
        try:  # looked up first: a refused insert would be an ERROR in PostgreSQL's log
            await client.read_work_pool(config.work_pool)
        except ObjectNotFound:
            pass
        else:
            return False
        pool = WorkPoolCreate(
            name=config.work_pool,
            type="process",
            base_job_template=ProcessWorker.get_default_base_job_template(),
        )
        try:
            await client.create_work_pool(pool)
        except ObjectAlreadyExists:
            return False
        return True

    return with_client(config.api_url, create)


def crash_active_runs(config: StackConfig, reason: str) -> int:
    """Mark the Running/Pending flow runs of the stack's own workers Crashed.

    A process worker stopped by a signal leaves its runs Running forever; so does a stack that
    was killed outright (swept at the next start). Runs of other workers on the pool (another
    machine: their `prefect.worker.name` label is not one of the stack's) are left alone; a
    run not yet labelled by any worker counts as the stack's.
    """
    from careops.stack.workers import WORKER_PREFIX

    ours = {f"{WORKER_PREFIX}{n}" for n in range(1, config.workers + 1)}
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        WorkPoolFilter,
        WorkPoolFilterName,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    async def sweep(client: PrefectClient) -> int:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])
                )
            ),
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[config.work_pool])),
        )
        runs = [r for r in runs if (r.labels or {}).get("prefect.worker.name", "") in ours | {""}]
        for run in runs:
            await client.set_flow_run_state(run.id, Crashed(message=reason), force=True)
        return len(runs)

    return with_client(config.api_url, sweep)


DEPLOY_PROCESSES = 2  # `prefect deploy` side by side: each imports Prefect and its flows


def deploy(config: StackConfig, names: list[str], env: dict[str, str]) -> None:
    """`prefect --no-prompt deploy --name ...` in the project root; the log is kept on failure.

    The names are split over DEPLOY_PROCESSES processes running side by side: one process spends
    most of its time waiting on the server (one deployment after the other): a cold start's 27
    deployments took 14-20 s in one process on a quiet 2-core machine, 9-13 s in two. Each
    deployment is its own flow, so the processes never write the same row.

    With CAREOPS_HOME in the environment, Prefect 3.8 substitutes `{{ $CAREOPS_HOME }}` of the
    pull step at deploy time (cli/deploy/_core.py applies os.environ to the pull steps), so the
    stored deployment carries the absolute project path.
    """
    if not names:
        return
    chunks = [names[i::DEPLOY_PROCESSES] for i in range(DEPLOY_PROCESSES)]
    running = []
    for n, chunk in enumerate(c for c in chunks if c):
        log_path = config.prefect_home / f"deploy-{n + 1}.log"
        argv = [sys.executable, "-m", "prefect", "--no-prompt", "deploy"]
        for name in chunk:
            argv += ["--name", name]
        log = log_path.open("w", encoding="utf-8")
        running.append((subprocess.Popen(argv, cwd=config.root, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, text=True), log, log_path))
    failed = []
    for proc, log, log_path in running:
        code = proc.wait()
        log.close()
        if code != 0:
            tail = "\n".join(log_path.read_text(encoding="utf-8").splitlines()[-30:])
            failed.append(f"`prefect deploy` failed (exit {code}, {log_path}):\n{tail}")
    if failed:
        raise StackError("\n".join(failed))


def deployed_schedules(config: StackConfig) -> dict[str, list[tuple[str, str]]]:
    """The pool's deployments by name, with their (cron, timezone) schedules as stored."""
    return deployed(config)[0]


def deployed(
    config: StackConfig,
) -> tuple[dict[str, list[tuple[str, str]]], dict[str, str]]:
    """The pool's deployments by name: their stored (cron, timezone) schedules, their ids."""
    from prefect.client.schemas.filters import WorkPoolFilter, WorkPoolFilterName

    async def read(client: PrefectClient) -> tuple[dict[str, list], dict[str, str]]:
        deployments = await client.read_deployments(
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[config.work_pool]))
        )
        schedules = {
            d.name: [
                (getattr(s.schedule, "cron", repr(s.schedule)), s.schedule.timezone or "UTC")
                for s in d.schedules
            ]
            for d in deployments
        }
        return schedules, {d.name: str(d.id) for d in deployments}

    return with_client(config.api_url, read)


def check_schedules(planned: list[PlannedDeployment], deployed: dict[str, list]) -> None:
    """Every deployed deployment carries exactly the cron schedules prefect.yaml declares."""
    for item in planned:
        if item.name not in deployed:
            continue
        if sorted(deployed[item.name]) != sorted(item.schedules):
            raise StackError(
                f"deployment {item.name!r} has schedules {deployed[item.name]} on the server, "
                f"prefect.yaml declares {list(item.schedules)}"
            )


def start_run(config: StackConfig, deployment: str, parameters: dict) -> str:
    """Create a run of `deployment` (`flow/deployment`) now; returns the run's UI address."""

    async def create(client: PrefectClient) -> str:
        found = await client.read_deployment_by_name(deployment)
        run = await client.create_flow_run_from_deployment(found.id, parameters=parameters)
        return f"{config.ui_url}/runs/flow-run/{run.id}"

    return with_client(config.api_url, create)
