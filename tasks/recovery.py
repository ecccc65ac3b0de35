"""The recovery of a crashed run (careops/crash_recovery.py): retry once if scheduled, tell ops."""

from __future__ import annotations

from prefect import get_run_logger, task

from careops import crash_recovery
from careops.bootstrap import get_mailer
from careops.db.uow import UnitOfWork
from careops.settings import get_settings


@task(name="recover-crashed-run", retries=2, retry_delay_seconds=[5, 20])
def recover_task(flow_run: str) -> dict:
    """Idempotent: the retry has an idempotency key, the ops mail an outbox key."""
    logger = get_run_logger()
    settings = get_settings()
    run = crash_recovery.read_run(crash_recovery.run_id_of(flow_run), settings.base_url)
    if run.state_type != "CRASHED" or run.flow_name == crash_recovery.RECOVERY_FLOW:
        logger.info(
            "run %s (%s) is %s: nothing to recover", run.name, run.flow_name, run.state_type
        )
        return {
            "flow_run": run.id,
            "state": run.state_type,
            "retried_as": None,
            "ops_mailed": False,
        }
    retried = crash_recovery.retry_run(run) if crash_recovery.should_retry(run) else None
    mailed = crash_recovery.notify_ops(UnitOfWork(), get_mailer(), run, settings.ops_email, retried)
    logger.info(
        "crashed run %s of %s: %s; ops mail %s",
        run.name,
        run.flow_name,
        f"retried as {retried[1]}" if retried else "not retried",
        "queued" if mailed else "queued before",
    )
    return {
        "flow_run": run.id,
        "state": run.state_type,
        "retried_as": retried[0] if retried else None,
        "ops_mailed": mailed,
    }
