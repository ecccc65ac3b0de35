"""A burst of flow-run creations against the embedded stack's Prefect server.

    .venv/bin/python benchmarks/prefect_burst.py [--count 30] [--deployment flow/name]
                                                 [--timeout 900] [-- STACK-UP-ARGS...]

Starts `careops stack up --no-demo` (server, scheduler, one worker, relay) on free ports with a
temporary database and PREFECT_HOME and an API auth string, creates `count` runs of one
deployment at once through careops's authenticated client, waits until every run is final, and
prints: failed creations, the runs' final states, ERROR lines the server log gained (during
start-up and during the burst), tracebacks on the stack's console, with the load average.
Target: 0 failed, all Completed, 0 ERROR lines, 0 tracebacks. tests/e2e/test_prefect_burst.py
asserts the same on a smaller machine budget.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from careops.settings import get_settings  # noqa: E402
from tests.support.burst import create_burst, error_lines, tracebacks, wait_final  # noqa: E402
from tests.support.stack import running_stack  # noqa: E402

AUTH = "careops-bench:burst-5c1e"


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--deployment", default="deliver-outbox/deliver-outbox")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to wait for every run to be final"
    )
    parser.add_argument("stack_args", nargs="*", help="more `careops stack up` options")
    args = parser.parse_args()

    os.environ["CAREOPS_PREFECT__AUTH_STRING"] = AUTH  # this process's careops client sends it
    get_settings.cache_clear()
    root = Path(tempfile.mkdtemp(prefix="careops-burst-"))
    print(f"starting the stack in {root} ({load()})", flush=True)
    started = time.monotonic()
    with running_stack(
        root, "--no-demo", *args.stack_args, env={"CAREOPS_PREFECT__AUTH_STRING": AUTH}
    ) as stack:
        print(f"stack up in {time.monotonic() - started:.1f} s ({load()})", flush=True)
        server_log = stack.prefect_home / "server.log"
        startup_errors = error_lines(server_log)
        offset = server_log.stat().st_size
        burst_start = time.monotonic()
        result = create_burst(stack.api_url, args.deployment, args.count)
        print(
            f"{len(result.created)} of {args.count} runs created in "
            f"{result.create_seconds:.1f} s, {len(result.failures)} failed ({load()})",
            flush=True,
        )
        for failure in result.failures[:5]:
            print(f"  failed: {failure}")
        wait_final(stack.api_url, result, args.timeout, burst_start)
        burst_errors = error_lines(server_log, offset)
        console = stack.output
    print(f"final states after {result.finish_seconds:.0f} s: {result.states} ({load()})")
    for line in (startup_errors + burst_errors)[:8]:
        print(f"  {line[:200]}")
    print(
        f"RESULT count={args.count} failed={len(result.failures)} "
        f"completed={result.completed}/{args.count} "
        f"server_errors_startup={len(startup_errors)} server_errors_burst={len(burst_errors)} "
        f"console_tracebacks={tracebacks(console)} finish_s={result.finish_seconds:.0f} "
        f"({load()}; logs in {root})"
    )


if __name__ == "__main__":
    main()
