"""What the Prefect server knows about careops, read in one client session (for the doctor)."""

from __future__ import annotations

from dataclasses import dataclass, field

from careops.stack.prefect_setup import with_client

_FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


@dataclass
class PrefectState:
    schedules: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # deployed only
    online_workers: list[str] = field(default_factory=list)
    last_runs: dict[str, str] = field(default_factory=dict)  # scheduled deployment → state


def read_state(api_url: str, pool: str, names: list[str]) -> PrefectState:
    """Deployments with their (cron, timezone) schedules, online workers, last finished runs."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType, WorkerStatus
    from prefect.client.schemas.sorting import FlowRunSort

    async def read(client) -> PrefectState:
        state = PrefectState()
        await client.api_healthcheck()
        for deployment in await client.read_deployments():
            if deployment.name not in names:
                continue
            schedules = [(getattr(s.schedule, "cron", repr(s.schedule)),
                          s.schedule.timezone or "UTC") for s in deployment.schedules]
            state.schedules[deployment.name] = schedules
            if not schedules:
                continue
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType(s) for s in _FINAL]))),
                sort=FlowRunSort.END_TIME_DESC, limit=1,
            )
            last = runs[0].state.type.value if runs and runs[0].state else "none yet"
            state.last_runs[deployment.name] = last
        try:
            workers = await client.read_workers_for_work_pool(pool)
        except Exception:  # noqa: BLE001 - no such pool: no worker
            workers = []
        state.online_workers = [w.name for w in workers if w.status == WorkerStatus.ONLINE]
        return state

    return with_client(api_url, read)
