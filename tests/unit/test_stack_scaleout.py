"""The scale-out configuration of the stack: the Prefect server's database, the automations'
heartbeat period matching prefect.yaml, and what a crashed run gets (pure parts)."""

from __future__ import annotations

import pytest
import yaml

from careops.crash_recovery import run_id_of, should_retry
from careops.db.faults import masked_url
from careops.errors import StackError
from careops.settings import PROJECT_ROOT, Settings
from careops.stack.automations import (
    HEARTBEAT_SECONDS,
    MISSED_BEATS,
    zombie_automation,
)
from careops.stack.config import StackConfig
from careops.stack.prefect_db import prefect_database_url
from tests.support.factories import crashed_run


def test_careops_on_postgres_puts_prefect_in_a_database_of_its_own() -> None:
    url = prefect_database_url("postgresql+psycopg://ops:s3cret@db.internal:5433/careops")
    assert url == "postgresql+asyncpg://ops:s3cret@db.internal:5433/careops_prefect"
    assert "s3cret" not in masked_url(url)


def test_careops_on_sqlite_leaves_prefect_on_its_sqlite() -> None:
    assert prefect_database_url("sqlite:////srv/careops.db") is None


def test_a_named_prefect_database_wins_and_must_be_postgres() -> None:
    assert prefect_database_url("sqlite:///x.db", "postgresql://p@h/prefect") == (
        "postgresql+asyncpg://p@h/prefect"
    )
    with pytest.raises(StackError, match="must be a postgresql"):
        prefect_database_url("postgresql://p@h/careops", "sqlite:///prefect.db")


def test_stack_options_postgres_and_workers() -> None:
    settings = Settings(database_url="sqlite:///var/x.db")
    config = StackConfig.from_settings(settings, postgres="postgresql://u:pw@h/care", workers=3)
    assert config.database_url == "postgresql+psycopg://u:pw@h/care"
    assert config.prefect_database_url == "postgresql+asyncpg://u:pw@h/care_prefect"
    assert config.workers == 3
    assert "pw" not in repr(config)
    with pytest.raises(StackError, match="--postgres takes"):
        StackConfig.from_settings(settings, postgres="mysql://h/care")
    with pytest.raises(StackError, match="--workers must be 1 or more"):
        StackConfig.from_settings(settings, workers=0)


def test_every_deployment_heartbeats_as_often_as_the_automation_expects() -> None:
    data = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for item in data["deployments"]:
        env = item["work_pool"]["job_variables"]["env"]
        assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == str(HEARTBEAT_SECONDS), item["name"]
    trigger = zombie_automation().trigger
    assert trigger.within.total_seconds() == HEARTBEAT_SECONDS * MISSED_BEATS
    assert trigger.after == {"prefect.flow-run.heartbeat"}
    assert trigger.for_each == {"prefect.resource.id"}
    # never forced: Prefect's core policy then refuses CRASHED on a finished run (#18653)
    assert zombie_automation().actions[0].force is False


def test_only_a_crashed_scheduled_run_that_is_no_retry_is_retried() -> None:
    assert should_retry(crashed_run())
    assert not should_retry(crashed_run(scheduled=False))
    assert not should_retry(crashed_run(is_retry=True))
    assert not should_retry(crashed_run(state_type="COMPLETED"))
    assert not should_retry(crashed_run(flow_name="recover-crashed-run"))


def test_the_run_id_comes_from_the_event_resource() -> None:
    rid = "0b3f5d0e-8a55-4a0c-9d3e-6f3b2c1d0a99"
    assert str(run_id_of(f"prefect.flow-run.{rid}")) == rid == str(run_id_of(rid))


def test_a_dead_worker_is_started_again_but_not_a_restart_that_dies_at_once(
    monkeypatch, tmp_path
) -> None:
    import os
    import sys
    from types import SimpleNamespace

    from rich.console import Console

    from careops.stack.processes import Child
    from careops.stack.workers import Workers

    workers = Workers(SimpleNamespace(workers=1), {})
    monkeypatch.setattr(
        workers,
        "_start",
        lambda number: Child(
            f"prefect worker {number}",
            [sys.executable, "-c", "pass"],
            env=dict(os.environ),
            cwd=tmp_path,
        ).start(),
    )
    workers.start()
    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    workers.children[0].process.wait()
    assert workers.restart_dead(console, 1.0)  # killed (here: exited): started again
    workers.children[0].process.wait()
    assert not workers.restart_dead(console, 1.0)  # the restart died at once: the stack stops
    assert workers.children[0].poll() is not None
