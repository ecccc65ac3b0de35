"""Exact-time wakeups: one scheduled run of a deployment at the minute a timer falls due.

The R5 chases are due at precise moments (30 minutes after an unfiled report, ...). Rather than
a deployment polling every few minutes — hundreds of empty runs a day in the Prefect UI — the
flow that sets a timer asks the Prefect server for one run of the watching deployment at the
timer's minute. The run shows as "Scheduled" in the UI, so people see when the next chase
happens. Timers due within the same minute share one run (idempotency key per deployment and
minute), so re-runs and retries never schedule twice. The timers themselves live in the
database: a wakeup that is lost (no Prefect server at that moment, a CLI run) is caught by the
deployment's slow safety sweep in prefect.yaml.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)


def wakeup_minute(at: datetime, now: datetime) -> datetime:
    """The whole minute at or after `at` (never before `now`): the run's scheduled time."""
    moment = max(at, now)
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def wakeup_key(deployment: str, minute: datetime) -> str:
    return f"wakeup:{deployment}@{minute.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def api_url() -> str:
    """The Prefect API in force (a worker's or the test harness's), else the embedded stack's.

    Never Prefect's default: without an API URL it would start a throw-away in-process server.
    """
    from prefect.settings import PREFECT_API_URL

    from careops.settings import get_settings

    prefect = get_settings().prefect
    return PREFECT_API_URL.value() or f"http://{prefect.host}:{prefect.port}/api"


def _auth() -> str | None:
    """The API auth string of careops's settings (CAREOPS_PREFECT__AUTH_STRING, else
    PREFECT_API_AUTH_STRING, else the stack's generated var/secrets/prefect_auth_string);
    passed explicitly, so a stray PREFECT_API_KEY is never sent."""
    from careops.secrets import prefect_auth
    from careops.settings import get_settings

    return prefect_auth(get_settings())


def sync_client(api: str | None = None):  # noqa: ANN201 - prefect is imported lazily
    """A SyncPrefectClient for the API in force, sending careops's auth string: a bare
    `SyncPrefectClient(url)` sends none and gets 401 from an authenticated server."""
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(api or api_url(), auth_string=_auth())


def schedule_wakeup(
    deployment: str, at: datetime, now: datetime, *, reason: str, api: str | None = None
) -> str | None:
    """Schedule a run of `deployment` ("flow/deployment") at `at`; its id, None if impossible.

    Never raises: without a server or the deployment, the safety sweep catches the
    timer later, and that is logged.
    """
    from prefect.states import Scheduled

    from careops.settings import get_settings

    minute = wakeup_minute(at, now)
    try:
        with sync_client(api) as client:
            found = client.read_deployment_by_name(deployment)
            run = client.create_flow_run_from_deployment(
                found.id,
                state=Scheduled(scheduled_time=minute),
                name=f"wakeup {minute.astimezone(get_settings().tz):%m-%d %H:%M}",
                tags=["careops", "wakeup"],
                idempotency_key=wakeup_key(deployment, minute),
            )
    except Exception as exc:  # noqa: BLE001 - best effort; the sweep is the guarantee
        log.warning("no wakeup of %s at %s (%s): the safety sweep will catch it (%s)",
                    deployment, minute.isoformat(), reason, exc)
        return None
    log.info("wakeup of %s scheduled at %s: %s", deployment, minute.isoformat(), reason)
    return str(run.id)


def cancel_wakeup(run_id: str, *, api: str | None = None) -> bool:
    """Delete a wakeup run that has not started yet (a superseded dead man's switch, see
    flows/holiday_watch.py); False when it is gone, running or the server unreachable."""
    from uuid import UUID

    try:
        with sync_client(api) as client:
            run = client.read_flow_run(UUID(run_id))
            if run.state is None or run.state.type.value != "SCHEDULED":
                return False
            client.delete_flow_run(run.id)
    except Exception as exc:  # noqa: BLE001 - best effort: an extra run exits at once anyway
        log.warning("could not cancel wakeup run %s: %s", run_id, exc)
        return False
    return True
