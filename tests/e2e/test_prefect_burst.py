"""A burst of run creations on the real stack: nothing refused, every run Completed, a clean log.

Thirty `create_flow_run_from_deployment` calls at once through careops's authenticated client,
while the server's scheduler and the worker run (issue 17: on Prefect's SQLite this got 503s
after the client's retries, Crashed runs and dozens of "database is locked" ERROR lines; the
stack now runs the server on its own PostgreSQL, careops/stack/embedded_pg.py). The figures:
benchmarks/prefect_burst.py. One stack, ~5-10 minutes on a loaded 2-core machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.burst import (
    create_burst,
    error_lines,
    error_records,
    tracebacks,
    wait_final,
)
from tests.support.stack import RunningStack, stack_with_auth_string

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]

BURST = 30
FINAL_TIMEOUT = 1200.0  # 30 flow-run processes on a loaded 2-core machine: ~5 min seen


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with stack_with_auth_string(tmp_path_factory.mktemp("burst")) as up:
        yield up


def test_the_stack_runs_the_prefect_server_on_its_own_postgresql(stack: RunningStack) -> None:
    assert "Prefect database: PostgreSQL created in" in stack.output, stack.output
    assert (stack.prefect_home / "postgres" / "PG_VERSION").is_file()
    assert not (stack.prefect_home / "prefect.db").exists()  # not Prefect's SQLite


def test_a_burst_of_runs_is_created_and_completed_without_a_server_error(
    stack: RunningStack,
) -> None:
    server_log: Path = stack.prefect_home / "server.log"
    started = time.monotonic()
    result = create_burst(stack.api_url, "deliver-outbox/deliver-outbox", BURST)
    assert result.failures == [], result.failures
    assert len(result.created) == BURST

    wait_final(stack.api_url, result, FINAL_TIMEOUT, started)
    assert result.states == {"COMPLETED": BURST}, (
        f"final states after {result.finish_seconds:.0f} s (awaited: all {BURST} runs final "
        f"within {FINAL_TIMEOUT:.0f} s): {result.states}; {result.not_completed}"
    )
    assert error_lines(server_log) == [], error_records(server_log)
    assert tracebacks(stack.output) == 0, stack.output
