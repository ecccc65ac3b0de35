"""The stack's automations: no run stays Running after its processes died, and crashes recover.

1. "careops: crash runs whose heartbeats stopped" — every flow run sends
   `prefect.flow-run.heartbeat` every HEARTBEAT_SECONDS (prefect.yaml sets
   PREFECT_FLOWS_HEARTBEAT_FREQUENCY for every worker's runs). A proactive trigger, per flow
   run, expects any `prefect.flow-run.*` event within MISSED_BEATS periods after a heartbeat;
   when none comes, the run is set CRASHED. A worker that outlives its flow-run process marks
   the run Crashed itself; this covers the worker (or machine) dying with it.
   False positive PrefectHQ/prefect#18653 (a heartbeat sent between Completed and the process
   exit starts a window nothing follows): the action does not force the state, and Prefect's
   core policy (server/orchestration/core_policy.py HandleFlowTerminalStateTransitions, 3.8.8)
   aborts CRASHED on a run already in a terminal state; so only a run still Running (or
   Pending, Paused) is marked.
2. "careops: recover crashed runs" — every `prefect.flow-run.Crashed` event starts one run of
   `recover-crashed-run` with the run's id (flows/recover_crashed_run.py).

`ensure_automations` runs at every `careops stack up`: looked up by name, created when missing,
else updated in place (`prefect automation create` never upserts), so restarts never duplicate.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from careops.errors import StackError
from careops.stack.config import StackConfig
from careops.stack.prefect_setup import with_client

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.events.schemas.automations import AutomationCore

HEARTBEAT_SECONDS = 30  # = PREFECT_FLOWS_HEARTBEAT_FREQUENCY in prefect.yaml (Prefect's minimum)
MISSED_BEATS = 3
ZOMBIE_AUTOMATION = "careops: crash runs whose heartbeats stopped"
RECOVERY_AUTOMATION = "careops: recover crashed runs"
RECOVERY_DEPLOYMENT = "recover-crashed-run/recover-crashed-run"
ZOMBIE_MESSAGE = "No heartbeat for {seconds} s: the run's process or its machine is gone."


def zombie_automation() -> AutomationCore:
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    within = HEARTBEAT_SECONDS * MISSED_BEATS
    return AutomationCore(
        name=ZOMBIE_AUTOMATION,
        description="A flow run whose heartbeats stopped is marked Crashed (careops stack).",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.*"},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED, force=False, message=ZOMBIE_MESSAGE.format(seconds=within)
            )
        ],
    )


def recovery_automation(deployment_id: UUID) -> AutomationCore:
    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=RECOVERY_AUTOMATION,
        description="A crashed run is retried once if it was scheduled; ops are mailed once.",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            expect={"prefect.flow-run.Crashed"},
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            RunDeployment(
                source="selected",
                deployment_id=deployment_id,
                parameters={
                    "params": {
                        "flow_run": {
                            "__prefect_kind": "jinja",
                            "template": "{{ event.resource.id }}",
                        }
                    }
                },
            )
        ],
    )


def ensure_automations(config: StackConfig) -> list[str]:
    """Create or update both automations; the names of those created now."""

    async def ensure(client: PrefectClient) -> list[str]:
        try:
            deployment = await client.read_deployment_by_name(RECOVERY_DEPLOYMENT)
        except Exception as exc:
            raise StackError(
                f"deployment {RECOVERY_DEPLOYMENT!r} is not on the server (prefect.yaml): {exc}"
            ) from exc
        created = []
        for wanted in (zombie_automation(), recovery_automation(deployment.id)):
            found = await client.read_automations_by_name(wanted.name)
            if found:
                await client.update_automation(found[0].id, wanted)
                for extra in found[1:]:  # left by an earlier `prefect automation create`
                    await client.delete_automation(extra.id)
            else:
                await client.create_automation(wanted)
                created.append(wanted.name)
        return created

    return with_client(config.api_url, ensure)
