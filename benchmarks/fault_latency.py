"""Latency of a fault notice: `careops fault report` → first mail accepted by the SMTP catcher.

    .venv/bin/python benchmarks/fault_latency.py [--runs 10] [--running]

Default: starts the embedded stack (`careops stack up --no-worker`: migrations, demo data, SMTP
catcher, Prefect server) as a subprocess on free ports with a temporary database, PREFECT_HOME
and mail directory, waits until it is healthy, then runs `careops fault report ...` `runs` times
(each a new fault on a demo project with a manager) and times each from the subprocess start to
the first new line in the catcher's index.txt. `--running`: use the stack the current settings
point at (CAREOPS_* environment; its catcher's mail_dir must be readable here). Prints every run
and the median (target <= 5 s). The CLI writes the fault and delivers the outbox itself, so no
Prefect polling interval sits on this path.

`--deployment` measures the Prefect UI's path instead: the stack starts with its worker, and each
run creates a `report-fault/report-fault` flow run (as the UI's form does) and times it until the
first notice reaches the catcher: the worker's poll (1 s in the stack) plus a new flow-run process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CAREOPS = [str(ROOT / ".venv" / "bin" / "careops")]

from careops.stack.processes import free_port, http_ok  # noqa: E402
from tests.support.stack import searchable  # noqa: E402


def lines(index: Path) -> int:
    return len(index.read_text(encoding="utf-8").splitlines()) if index.exists() else 0


def wait_for(predicate, timeout: float, what: str) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.01)
    return time.perf_counter()


def project_code(database_url: str) -> str:
    from sqlalchemy import select

    from careops.db.engine import make_engine
    from careops.db.models.common import Project

    engine = make_engine(database_url)
    with engine.connect() as conn:
        code = conn.scalar(
            select(Project.code).where(Project.manager_id.is_not(None),
                                       Project.sales_id.is_not(None)).order_by(Project.id))
    engine.dispose()
    if code is None:
        raise SystemExit(f"no project with a manager and a salesperson in {database_url}")
    return code


def measure(env: dict[str, str], index: Path, code: str, runs: int) -> list[float]:
    times = []
    stamp = time.strftime("%H%M%S")
    for i in range(runs):
        before = lines(index)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*CAREOPS, "fault", "report", "--project", code, "--place", "主站 Web 服务器",
             "--symptoms", f"基准测试 {stamp}-{i}: 首页 502", "--plan", "切换备用节点",
             "--by", "benchmark"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        end = wait_for(lambda b=before, p=proc: lines(index) > b or p.poll() not in (None, 0), 60,
                       "the first notice in the catcher")
        out, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            raise SystemExit(f"careops fault report failed: {out}{err}")
        times.append(end - start)
        print(f"run {i + 1}: {end - start:.2f} s", flush=True)
    return times


def measure_deployment(index: Path, code: str, runs: int) -> list[float]:
    from datetime import UTC, datetime

    from careops.secrets import prefect_auth
    from careops.settings import get_settings

    get_settings.cache_clear()
    auth = prefect_auth(get_settings())  # the stack's server always requires one
    if auth:
        os.environ["PREFECT_API_AUTH_STRING"] = auth
    from prefect.deployments import run_deployment

    times = []
    stamp = time.strftime("%H%M%S")
    for i in range(runs):
        before = lines(index)
        start = time.perf_counter()
        flow_run = run_deployment(
            "report-fault/report-fault",
            parameters={"params": {
                "project_code": code, "occurred_at": datetime.now(UTC).isoformat(),
                "place": "主站 Web 服务器", "symptoms": f"基准测试 {stamp}-{i}: 首页 502",
                "handling_plan": "切换备用节点", "reporter": "benchmark"}},
            timeout=0,
        )
        end = wait_for(lambda b=before: lines(index) > b, 120, "the first notice in the catcher")
        times.append(end - start)
        print(f"run {i + 1}: {end - start:.2f} s", flush=True)
        # faults are rare: measure each report alone, not queued behind the last run's teardown
        wait_for(lambda r=flow_run.id: _finished(r), 120, "the flow run to finish")
        time.sleep(2)
    return times


def _finished(flow_run_id) -> bool:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run_id).state
    return state is not None and state.is_final()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--running", action="store_true", help="use the configured, running stack")
    parser.add_argument("--deployment", action="store_true",
                        help="report through the report-fault deployment (the UI's path)")
    args = parser.parse_args()

    if args.running:
        from careops.settings import get_settings

        settings = get_settings()
        env = dict(os.environ)
        index = settings.path(settings.catcher.mail_dir) / "index.txt"
        code = project_code(settings.database_url)
        times = (measure_deployment(index, code, args.runs) if args.deployment
                 else measure(env, index, code, args.runs))
    else:
        tmp = Path(tempfile.mkdtemp(prefix="careops-bench-"))
        searchable(tmp)  # the stack's PostgreSQL runs as `nobody` under root
        api_port, smtp_port, web_port = free_port(), free_port(), free_port()
        env = dict(os.environ) | {
            "CAREOPS_DATABASE_URL": f"sqlite:///{tmp / 'careops.db'}",
            "CAREOPS_PREFECT__HOME": str(tmp / "prefect"),
            "CAREOPS_CATCHER__MAIL_DIR": str(tmp / "mail"),
            "CAREOPS_SECRETS_DIR": str(tmp / "secrets"),
            "CAREOPS_SMTP__HOST": "127.0.0.1",
            "CAREOPS_SMTP__PORT": str(smtp_port),
        }
        log = (tmp / "stack.log").open("w")
        stack = subprocess.Popen(
            [*CAREOPS, "stack", "up", "--port", str(api_port), "--smtp-port", str(smtp_port),
             "--web-port", str(web_port),
             *([] if args.deployment else ["--no-worker"])],
            env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:

            wait_for(lambda: http_ok(f"http://127.0.0.1:{api_port}/api/health")
                     or stack.poll() is not None, 180, "the stack")
            if stack.poll() is not None:
                raise SystemExit(f"the stack exited; see {tmp / 'stack.log'}")
            print(f"stack up (API {api_port}, SMTP catcher {smtp_port}, {tmp})", flush=True)
            code = project_code(env["CAREOPS_DATABASE_URL"])
            if args.deployment:
                os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{api_port}/api"
                os.environ["CAREOPS_SECRETS_DIR"] = str(tmp / "secrets")
                wait_for(lambda: "is up" in (tmp / "stack.log").read_text(), 180, "deployments")
                times = measure_deployment(tmp / "mail" / "index.txt", code, args.runs)
            else:
                times = measure(env, tmp / "mail" / "index.txt", code, args.runs)
        finally:
            stack.terminate()
            try:
                stack.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stack.kill()
    median = statistics.median(times)
    verdict = "OK" if median <= 5 else "TOO SLOW"
    print(f"median of {len(times)}: {median:.2f} s (target <= 5 s: {verdict})")


if __name__ == "__main__":
    main()
