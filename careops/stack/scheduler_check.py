"""Prove that the Prefect server's scheduler works: scheduled runs exist, its log is clean.

A green deploy says nothing about the scheduler service: with an incompatible SQLAlchemy it
failed every loop and no scheduled run was ever created, while everything else looked fine.
So the stack waits, after deploying, until the server has created upcoming runs for every
scheduled deployment, and reads the server log for errors of its services: either failure
stops the start with the log lines that explain it. While the stack runs, new service errors
in the log are reported on the console.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from careops.errors import StackError
from careops.stack.config import StackConfig
from careops.stack.prefect_setup import with_client

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

# A server-side service failing: "Traceback" blocks and error lines of prefect.server.*.
_ERROR_LINE = re.compile(r"^(?:Traceback \(most recent call last\)|.*\| ERROR\s+\|.*)$")


@dataclass
class LogWatch:
    """Reads what a log file gained since the last look (the server appends to its log)."""

    path: Path
    offset: int = 0
    seen: str = ""  # what a start-up check read (wait_for_schedules)

    @classmethod
    def from_end(cls, path: Path) -> LogWatch:
        return cls(path, path.stat().st_size if path.exists() else 0)

    def new_text(self) -> str:
        if not self.path.exists():
            return ""
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += len(data)
        return data.decode("utf-8", errors="replace")


_RECORD_START = re.compile(r"^\d\d:\d\d:\d\d\.\d+ \| ")


def _records(log_text: str) -> list[list[str]]:
    """The log's records: a timestamped line and the lines under it (a traceback)."""
    records: list[list[str]] = []
    for line in log_text.splitlines():
        if _RECORD_START.match(line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    return records


# Races of a message consumer that Prefect retries (memory.py `_consume_loop` puts the message
# back): a write race for its SQLite database (an automation trigger's bucket update, several
# runs at once), and an event evaluated against an automation the triggers service has just
# reloaded (prefect 3.8.8: "Trigger._automation has been garbage collected", seen when
# `stack up` upserts its automations while heartbeats arrive).
RETRIED_RACES = ("database is locked", "Trigger._automation has been garbage collected")


def retried_busy(record: str) -> bool:
    """A message consumer's failure that Prefect retries (RETRIED_RACES): not lost."""
    return "Failed in consume_loop" in record and any(r in record for r in RETRIED_RACES)


def service_errors(log_text: str, context: int = 12) -> list[str]:
    """Each error in a Prefect server log excerpt, with the lines that follow it (the cause).
    Consumers' SQLite write races that Prefect retries (`retried_busy`) are left out."""
    errors: list[str] = []
    for record in _records(log_text):
        i = 0
        while i < len(record):
            if _ERROR_LINE.match(record[i]):
                if i == 0 and retried_busy("\n".join(record)):
                    break
                block = record[i : i + context]
                # a traceback ends at its exception line: the first unindented line after it
                for j, line in enumerate(block[1:], start=1):
                    if line and not line.startswith((" ", "\t")) and "Traceback" not in line:
                        block = block[: j + 1]
                        break
                errors.append("\n".join(block))
                i += len(block)
            else:
                i += 1
    return errors


def summary(error: str, width: int = 300) -> str:
    """An error block as one line for the console: its log line and, when a traceback
    follows, the exception it ended with (the full block stays in the server log)."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    first = next((line for line in lines if not line.startswith("Traceback")), lines[0])
    last = lines[-1]
    text = first if last == first or len(lines) == 1 else f"{first} — {last}"
    return text if len(text) <= width else text[: width - 1] + "…"


def scheduler_errors(errors: list[str]) -> list[str]:
    """The errors of the scheduler service (its logger or its module in the traceback).

    Other server errors (e.g. a worker heartbeat that lost a race for Prefect's SQLite
    database on a loaded machine, after which the worker reconnects) are shown, not fatal.
    """
    return [e for e in errors if "services.scheduler" in e or "services/scheduler.py" in e]


def scheduled_run_counts(api_url: str, names: Iterable[str]) -> dict[str, int]:
    """How many upcoming runs the server's scheduler created for each named deployment."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    wanted = list(names)

    async def count(client: PrefectClient) -> dict[str, int]:
        deployments = await client.read_deployments(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=wanted))
        )
        counts = {}
        for deployment in deployments:
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    )
                ),
                limit=50,
            )
            counts[deployment.name] = sum(1 for run in runs if run.auto_scheduled)
        return counts

    return with_client(api_url, count)


def wait_for_schedules(
    config: StackConfig, names: list[str], log: LogWatch, timeout: float
) -> dict[str, int]:
    """Until every named deployment has upcoming runs; StackError on a scheduler error or timeout.

    The log text read is kept in `log.seen`, so the caller can show the other errors.
    """
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while True:
        log.seen += log.new_text()
        if errors := scheduler_errors(service_errors(log.seen)):
            raise StackError(
                "the Prefect server's scheduler fails, scheduled runs would not fire "
                f"({log.path}):\n" + "\n".join(errors[:2])
            )
        counts = scheduled_run_counts(config.api_url, names)
        missing = [n for n in names if not counts.get(n)]
        if not missing:
            return counts
        if time.monotonic() > deadline:
            raise StackError(
                f"the Prefect server's scheduler created no run for {', '.join(missing)} within "
                f"{timeout:.0f} s; see {log.path}"
            )
        time.sleep(1.0)
