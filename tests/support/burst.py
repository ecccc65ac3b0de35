"""A burst of flow-run creations against a running stack, and what it left behind.

Shared by benchmarks/prefect_burst.py (prints the figures) and tests/e2e/test_prefect_burst.py
(asserts them): `count` runs of one deployment created at once through careops's authenticated
client (as many flows scheduling wakeups, or many people pressing "Run" in the UI, would), then
waited on until every run is final.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from careops.stack.prefect_setup import with_client

ERROR_LINE = re.compile(r"\| ERROR\s+\|")
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d+ \|")  # a record's first line
BURST_TAG = "burst"


@dataclass
class BurstResult:
    created: list[UUID] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line per failed creation
    create_seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)  # final state name -> runs
    finish_seconds: float = 0.0  # from the burst until every run was final (or the bound)
    not_completed: list[str] = field(default_factory=list)  # "<id> <STATE>: <its message>"

    @property
    def completed(self) -> int:
        return self.states.get("COMPLETED", 0)


def create_burst(api_url: str, deployment: str, count: int) -> BurstResult:
    """`count` create_flow_run_from_deployment calls at once; failures are kept, not raised."""

    async def burst(client) -> BurstResult:  # noqa: ANN001 - PrefectClient
        found = await client.read_deployment_by_name(deployment)
        start = time.monotonic()
        outcomes = await asyncio.gather(
            *(
                client.create_flow_run_from_deployment(found.id, tags=[BURST_TAG])
                for _ in range(count)
            ),
            return_exceptions=True,
        )
        result = BurstResult(create_seconds=time.monotonic() - start)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                result.failures.append(f"{type(outcome).__name__}: {outcome}".splitlines()[0])
            else:
                result.created.append(outcome.id)
        return result

    return with_client(api_url, burst)


def final_states(api_url: str, ids: list[UUID]) -> dict[UUID, tuple[str, str] | None]:
    """Each run's (state type, state message) once final, else None."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read(client) -> dict[UUID, tuple[str, str] | None]:  # noqa: ANN001
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids) + 1
        )
        return {
            r.id: ((r.state.type.value, r.state.message or "")
                   if r.state is not None and r.state.is_final() else None)
            for r in runs
        }

    return with_client(api_url, read)


def wait_final(api_url: str, result: BurstResult, timeout: float, started: float) -> None:
    """Poll until every created run is final or `timeout` passed; fills `result.states`."""
    deadline = time.monotonic() + timeout
    while True:
        states = final_states(api_url, result.created) if result.created else {}
        pending = [i for i in result.created if states.get(i) is None]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(2.0)
    result.finish_seconds = time.monotonic() - started
    result.states = {}
    for run_id in result.created:
        name, message = states.get(run_id) or ("NOT FINAL", "")
        result.states[name] = result.states.get(name, 0) + 1
        if name != "COMPLETED":  # what the failure shows: why (Crashed by whom, exit code)
            result.not_completed.append(f"{run_id} {name}: {message}")


def _log_text(log: Path, offset: int) -> str:
    if not log.exists():
        return ""
    with log.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", errors="replace")


def error_lines(log: Path, offset: int = 0) -> list[str]:
    """The ERROR lines a Prefect log gained after byte `offset`."""
    return [line for line in _log_text(log, offset).splitlines() if ERROR_LINE.search(line)]


def error_records(log: Path, offset: int = 0, limit: int = 3) -> str:
    """The first `limit` ERROR records after `offset`, each with its traceback (the lines up
    to the next timestamped one): what a failed assertion shows, so CI's log names the cause."""
    records: list[list[str]] = []
    in_record = False
    for line in _log_text(log, offset).splitlines():
        if ERROR_LINE.search(line):
            if len(records) == limit:
                break
            records.append([line])
            in_record = True
        elif LOG_LINE.match(line):
            in_record = False
        elif in_record and len(records[-1]) < 60:
            records[-1].append(line)
    return "\n\n".join("\n".join(r) for r in records)


def tracebacks(text: str) -> int:
    return text.count("Traceback (most recent call last)")
