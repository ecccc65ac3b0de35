"""What happens after a flow run crashed: a scheduled run is retried once, ops are told once.

A run is Crashed by its worker (the flow-run process died), by the heartbeat automation (the
worker died too, or the machine: careops/stack/automations.py) or by the stack when it stops.
Every Crashed event starts one `recover-crashed-run` run (the recovery automation), which calls
`recover` here:

- a *scheduled* run (the server's scheduler made it, or a careops wakeup: careops/wakeups.py)
  that is not itself a retry gets one new run of its deployment with the same parameters, now;
  the idempotency key `crash-retry:<crashed run id>` makes a second recovery find that run
  instead of making another, and the tag `crash-retry` keeps a crashed retry from being retried;
- an ad-hoc run (a form, the CLI) is not retried: the person who started it decides;
- ops get one mail per crashed run (`ops_failure`, outbox key `ops-crash:<id>`) saying which.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from careops.db.uow import UnitOfWork
from careops.mailer import Mailer

RETRY_TAG = "crash-retry"
RECOVERY_FLOW = "recover-crashed-run"


@dataclass(frozen=True)
class CrashedRun:
    """The facts of a crashed run that recovery needs (plain values, read from Prefect)."""

    id: str
    name: str
    flow_name: str
    deployment_id: str | None
    state_type: str
    message: str
    scheduled: bool  # auto-scheduled by the server, or a careops wakeup
    is_retry: bool
    url: str


def run_id_of(value: str) -> UUID:
    """The run id from an event's resource id (`prefect.flow-run.<id>`) or a bare id."""
    return UUID(value.strip().removeprefix("prefect.flow-run."))


def should_retry(run: CrashedRun) -> bool:
    return (
        run.state_type == "CRASHED"
        and run.scheduled
        and not run.is_retry
        and run.deployment_id is not None
        and run.flow_name != RECOVERY_FLOW
    )


def read_run(run_id: UUID, ui_url: str) -> CrashedRun:
    from careops.wakeups import sync_client

    with sync_client() as client:
        run = client.read_flow_run(run_id)
        flow = client.read_flow(run.flow_id)
    state = run.state
    return CrashedRun(
        id=str(run.id),
        name=run.name,
        flow_name=flow.name,
        deployment_id=str(run.deployment_id) if run.deployment_id else None,
        state_type=state.type.value if state else "UNKNOWN",
        message=(state.message or "") if state else "",
        scheduled=bool(run.auto_scheduled) or "wakeup" in (run.tags or []),
        is_retry=RETRY_TAG in (run.tags or []),
        url=f"{ui_url.rstrip('/')}/runs/flow-run/{run.id}",
    )


def retry_run(run: CrashedRun) -> tuple[str, str]:
    """One new run of the crashed run's deployment, now; (id, name). Idempotent per run."""
    from careops.wakeups import sync_client

    assert run.deployment_id is not None
    with sync_client() as client:
        crashed = client.read_flow_run(UUID(run.id))
        tags = [t for t in crashed.tags or [] if t != "wakeup"] + [RETRY_TAG]
        new = client.create_flow_run_from_deployment(
            UUID(run.deployment_id),
            parameters=crashed.parameters,
            name=f"retry of {run.name}",
            tags=tags,
            idempotency_key=f"crash-retry:{run.id}",
        )
    return str(new.id), new.name


def notify_ops(
    uow: UnitOfWork,
    mailer: Mailer,
    run: CrashedRun,
    ops_email: str,
    retried: tuple[str, str] | None,
) -> bool:
    """The ops mail of this crash, once (False when it was queued before)."""
    if retried is not None:
        outcome = f"Retried once: run {retried[1]} ({retried[0]}) started."
    elif run.is_retry:
        outcome = "Not retried again: this run was already the retry of a crashed run."
    elif run.scheduled:
        outcome = "Not retried: the run has no deployment."
    else:
        outcome = "Not retried: an ad-hoc run; start it again if it is still needed."
    with uow:
        queued = mailer.queue(
            uow.session,
            key=f"ops-crash:{run.id}",
            template="ops_failure",
            to=[ops_email],
            context={
                "flow_name": run.flow_name,
                "flow_run_name": run.name,
                "state": "Crashed",
                "message": f"{run.message}\n{outcome}".strip(),
                "run_url": run.url,
            },
        )
        uow.commit()
    return queued
