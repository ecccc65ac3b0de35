"""When each scheduled process fires: the cron schedules of prefect.yaml's deployments.

The simulated processes are exactly prefect.yaml's scheduled deployments: each has a step in
`processes.STEPS` (run at every time its cron fires, with the croniter the Prefect server
uses) or an entry in `EXCLUDED` with the reason; `check_coverage` names any other, so a new
scheduled deployment cannot be forgotten (tests/unit/test_simulation_schedule.py). The
exact-time runs the flows schedule for themselves (weekly-nudge, weekly-compile, the wakeups
of fault-watch, case-deadlines and holiday-watch) are put on the agenda by the steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from careops.stack.prefect_setup import PlannedDeployment, planned_deployments

_EPSILON = timedelta(seconds=1)

# Scheduled deployments the simulation does not run, and why (`doctor`: ahead of its schedule).
EXCLUDED: dict[str, str] = {
    "doctor": "checks the live stack (Prefect API, worker, SMTP server): nothing of it exists "
    "in the simulated world",
}


def scheduled(root: Path) -> list[PlannedDeployment]:
    return [d for d in planned_deployments(root) if d.schedules]


def check_coverage(root: Path, simulated: set[str]) -> list[str]:
    """The scheduled deployments of prefect.yaml that are neither simulated nor excluded."""
    return [
        f"{d.name}: scheduled in prefect.yaml but neither simulated nor excluded"
        for d in scheduled(root)
        if d.name not in simulated and d.name not in EXCLUDED
    ]


def fire_times(deployment: PlannedDeployment, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every moment in [start, end) one of the deployment's schedules fires."""
    from prefect._vendor.croniter import croniter

    for cron, tz in deployment.schedules:
        it = croniter(cron, start.astimezone(ZoneInfo(tz)) - _EPSILON)
        while (moment := it.get_next(datetime)) < end:
            if moment >= start:
                yield moment
