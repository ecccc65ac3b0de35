"""Scale-out and crash recovery on the real stack: careops AND the Prefect server on PostgreSQL,
two process workers (`careops stack up --postgres URL --workers 2`), one stack for the module.

1. 20 ad-hoc runs of report-fault and open-case at once (repeated report and intake keys),
   on the stack's two workers and a third started as README "Scale-out" tells a second
   machine: every run Completed, each of the three workers took runs (the
   `prefect.worker.name` label Prefect puts on every run a worker takes), each fault and case
   stored once, each mail delivered once.
2. Two long check-sites runs (one a careops wakeup, i.e. scheduled; one ad-hoc) lose their
   worker AND their flow-run process to SIGKILL: the heartbeat automation marks both Crashed,
   the stack starts the workers again, the scheduled run is retried once (and the retry
   completes), the ad-hoc one is not, and ops get one mail per crashed run.
3. Both automations exist once; ensuring them again (what a restart does) creates none.
4. The guard against PrefectHQ/prefect#18653: a non-forced CRASHED on a Completed run is
   aborted by the server (what the automation's action sends).

The crash is set up first, so its detection (3 missed 30 s heartbeats) overlaps the scale-out
runs. Needs CAREOPS_TEST_DATABASE_URL (`.ci/run` sets it).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from careops.clock import local_today
from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.uow import UnitOfWork
from careops.stack.automations import HEARTBEAT_SECONDS, MISSED_BEATS, ZOMBIE_MESSAGE
from careops.stack.prefect_setup import with_client
from tests.support.pg import scratch_database
from tests.support.sites import SiteServer
from tests.support.stack import RunningStack, running_stack
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]

PG_ADMIN_URL = os.environ.get("CAREOPS_TEST_DATABASE_URL")
WAIT = 240.0
OPS = "ops@careops.local"
SECOND = "careops-second-machine"


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh careops database (migrated, demo data) on the test PostgreSQL; dropped after,
    with the `<name>_prefect` database the stack creates beside it."""
    if not PG_ADMIN_URL:
        pytest.skip(
            "CAREOPS_TEST_DATABASE_URL is not set: the scale-out stack runs on "
            "PostgreSQL (.ci/run sets it)"
        )
    from careops.demo import seed_demo

    with scratch_database(PG_ADMIN_URL, "careops_scale", also=("_prefect",)) as url:
        upgrade(url)
        seed_demo(UnitOfWork(get_engine(url)), today=local_today(ZoneInfo("Asia/Shanghai")))
        yield url


@pytest.fixture(scope="module")
def slow_site() -> Iterator[SiteServer]:
    """A site whose /slow page answers after 100 s (then at once, once set to 0)."""
    server = SiteServer(slow_seconds=100.0).start()
    yield server
    server.slow_seconds = 0
    server.stop()


@pytest.fixture(scope="module")
def stack(pg_database: str, tmp_path_factory, slow_site: SiteServer) -> Iterator[RunningStack]:
    from careops.services.watch.imports import import_sites

    uow = UnitOfWork(get_engine(pg_database))
    code = _project_codes(pg_database, 1)[0]
    import_sites(uow, [(1, {"project_code": code, "url": slow_site.url("/slow")})])
    plain = make_url(pg_database).set(drivername="postgresql").render_as_string(False)
    with running_stack(
        tmp_path_factory.mktemp("scaleout"),
        "--no-demo",
        "--workers",
        "2",
        "--postgres",
        plain,
        database_url=pg_database,
        # at most 6 runs at once per stack worker: 20 runs cannot all land on them at once
        env={"CAREOPS_HOLIDAY_WATCH__TIMEOUT_SECONDS": "120", "CAREOPS_PREFECT__WORKER_LIMIT": "6"},
    ) as running:
        yield running


@pytest.fixture(scope="module")
def crashed(stack: RunningStack, slow_site: SiteServer) -> dict[str, str]:
    """Two check-sites runs stuck on the slow site; their workers and processes SIGKILLed."""
    from prefect.states import Scheduled

    async def start(client):
        deployment = await client.read_deployment_by_name("check-sites/check-sites")
        params = {"params": {"sites": [slow_site.url("/slow")]}}
        scheduled = await client.create_flow_run_from_deployment(  # as careops.wakeups does
            deployment.id,
            parameters=params,
            name="wakeup crash-test",
            tags=["careops", "wakeup"],
            state=Scheduled(scheduled_time=datetime.now(UTC)),
        )
        adhoc = await client.create_flow_run_from_deployment(deployment.id, parameters=params)
        return {"scheduled": str(scheduled.id), "adhoc": str(adhoc.id)}

    runs = with_client(stack.api_url, start)
    deadline = time.monotonic() + WAIT
    while True:  # both running, each in the middle of its check
        found = [_run(stack, run_id) for run_id in runs.values()]
        if slow_site.hits >= 2 and all(
            r.state.is_running() and r.infrastructure_pid and "prefect.worker.name" in r.labels
            for r in found
        ):
            break
        assert time.monotonic() < deadline, f"runs not running: {found}\n{stack.output}"
        time.sleep(1)
    wait_until(  # the heartbeat automation arms on a run's first heartbeat
        lambda: _heartbeats(stack, list(runs.values())) == set(runs.values()),
        "a heartbeat event of each stuck run",
        detail=lambda: stack.output,
    )
    workers = _worker_pids(stack)
    for name in {r.labels["prefect.worker.name"] for r in found}:
        os.kill(workers[name], signal.SIGKILL)
    for run in found:  # Prefect runs each flow-run process in a session of its own
        pid = int(str(run.infrastructure_pid).rpartition(":")[2])
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    slow_site.slow_seconds = 0  # the retry checks the site at once
    return runs | {"killed_at": datetime.now(UTC).isoformat()}


@pytest.fixture(scope="module")
def second_machine(stack: RunningStack, pg_database: str, tmp_path_factory) -> Iterator[str]:
    """A worker started as README "Scale-out" says for a second machine: only its variables
    (a fresh PREFECT_HOME, no stack settings), `prefect worker start --pool careops`."""
    import subprocess
    import sys

    from careops.settings import PROJECT_ROOT
    from careops.stack.processes import stop_tree

    home = tmp_path_factory.mktemp("second-machine")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PREFECT_HOME": str(home),
        "CAREOPS_HOME": str(PROJECT_ROOT),
        "PREFECT_API_URL": stack.api_url,
        "CAREOPS_DATABASE_URL": pg_database,
        "CAREOPS_SMTP__HOST": "127.0.0.1",
        "CAREOPS_SMTP__PORT": str(stack.smtp_port),
        "CAREOPS_BASE_URL": stack.api_url.removesuffix("/api"),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        # the stack's generated secrets, handed over as README "Scale-out" says
        "PREFECT_API_AUTH_STRING": stack.auth_string or "",
        "CAREOPS_WEB__SECRET_KEY": (stack.secrets_dir / "web_secret_key").read_text().strip(),
    }
    with (home / "worker.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "careops",
             "--type", "process", "--name", SECOND],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # fmt: skip
    try:
        yield SECOND
    finally:
        stop_tree(proc.pid, 10.0, reap=proc.poll)
        proc.wait()


def test_twenty_runs_at_once_on_three_workers(
    stack: RunningStack, crashed, second_machine: str, pg_database
) -> None:
    from careops.db.models.cases import Case
    from careops.db.models.faults import Fault

    codes = _project_codes(pg_database, 4)
    staff = _staff_code(pg_database)
    tag = uuid.uuid4().hex[:6]
    occurred = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    faults = [i % 8 for i in range(12)]  # 8 faults, 4 of them reported twice
    cases = [i % 5 for i in range(8)]  # 5 cases, 3 of them taken twice
    requests = [
        (
            "report-fault/report-fault",
            {
                "params": {
                    "project_code": codes[k % 4],
                    "occurred_at": occurred,
                    "place": "主站 Web 服务器",
                    "symptoms": f"首页 502 ({tag}-f{k})",
                    "handling_plan": "切换备用节点",
                    "reporter": "scale-out",
                    "severity": "major" if k % 2 else "minor",
                    "report_key": f"{tag}-f{k}",
                }
            },
        )
        for k in faults
    ]
    requests += [
        (
            "open-case/open-case",
            {
                "params": {
                    "kind": "suggestion" if k % 2 else "consultation",
                    "taken_by": staff,
                    "project_code": codes[k % 4],
                    "text": f"客户来电 {tag}-c{k}",
                    "intake_key": f"{tag}-c{k}",
                }
            },
        )
        for k in cases
    ]
    assert len(requests) == 20

    async def create_all(client):
        ids = []
        for deployment, parameters in requests:
            found = await client.read_deployment_by_name(deployment)
            run = await client.create_flow_run_from_deployment(found.id, parameters=parameters)
            ids.append(run.id)
        return ids

    _wait_for(
        lambda: _workers_back(stack, datetime.fromisoformat(crashed["killed_at"])),
        "the three workers polling",
    )
    ids = with_client(stack.api_url, create_all)
    runs = _wait_final(stack, [str(i) for i in ids])
    assert {r.name: r.state.type.value for r in runs} == {r.name: "COMPLETED" for r in runs}
    by_worker = {r.labels.get("prefect.worker.name") for r in runs}
    assert by_worker == {"careops-worker-1", "careops-worker-2", SECOND}, by_worker

    from careops.db.models.outbox import OutboxMessage

    with get_engine(pg_database).connect() as conn:
        fault_ids = list(conn.scalars(select(Fault.id).where(Fault.report_key.like(f"{tag}-%"))))
        suggestions = list(
            conn.scalars(
                select(Case.id).where(Case.intake_key.like(f"{tag}-%"), Case.kind == "suggestion")
            )
        )
        assert (
            conn.scalar(
                select(func.count()).select_from(Case).where(Case.intake_key.like(f"{tag}-%"))
            )
            == 5
        )
    assert len(fault_ids) == 8 and len(suggestions) == 2
    sent = _wait_outbox_sent(pg_database)
    with get_engine(pg_database).connect() as conn:
        keys = list(conn.scalars(select(OutboxMessage.key)))
    # every fault got its notice, every suggestion its leadership report (keys are unique)
    assert all(any(k.startswith(f"fault:{i}:") for k in keys) for i in fault_ids), keys
    assert all(any(k.startswith(f"case:{i}:case_suggestion") for k in keys) for i in suggestions), (
        keys
    )
    delivered = _delivered_ids(stack.mail_dir)
    duplicates = {m for m in delivered if delivered.count(m) > 1}
    assert not duplicates, duplicates
    assert set(sent) <= set(delivered)  # every mail the outbox sent arrived, and only once


def test_killed_runs_are_crashed_and_the_scheduled_one_is_retried_once(
    stack: RunningStack, crashed: dict[str, str]
) -> None:
    scheduled, adhoc = _wait_final(stack, [crashed["scheduled"], crashed["adhoc"]])
    within = HEARTBEAT_SECONDS * MISSED_BEATS
    for run in (scheduled, adhoc):  # the worker was dead: only the automation could tell
        assert run.state.type.value == "CRASHED", run.state
        assert run.state.message == ZOMBIE_MESSAGE.format(seconds=within), run.state.message
    assert stack.output.count("exited (code -9); starting it again") >= 1
    assert stack.proc.poll() is None
    assert "the Prefect server logged an error" not in stack.output  # on PostgreSQL too

    retries = _wait_for(lambda: _retries(stack) or None, "a retry run")
    assert [r.name for r in retries] == [f"retry of {scheduled.name}"]
    (retry,) = _wait_final(stack, [str(retries[0].id)])
    assert retry.state.is_completed(), retry.state
    assert retry.parameters == scheduled.parameters

    names = [scheduled.name, adhoc.name]
    _wait_for(
        lambda: all(_ops_crash_mails(stack.mail_dir, names).values()) or None,
        "an ops mail for each crashed run",
    )
    time.sleep(3)  # a second recovery would have mailed again by now (it is keyed per run)
    assert _ops_crash_mails(stack.mail_dir, names) == dict.fromkeys(names, 1)
    assert len(_retries(stack)) == 1


# --- helpers -------------------------------------------------------------------------------


def _project_codes(url: str, n: int) -> list[str]:
    from careops.db.models.common import Project

    with get_engine(url).connect() as conn:
        return list(
            conn.scalars(
                select(Project.code)
                .where(Project.manager_id.is_not(None), Project.sales_id.is_not(None))
                .order_by(Project.id)
                .limit(n)
            )
        )


def _staff_code(url: str) -> str:
    from careops.db.models.common import Staff

    with get_engine(url).connect() as conn:
        return conn.scalar(
            select(Staff.code)
            .where(Staff.active.is_(True))
            .where(Staff.department == "CS")
            .order_by(Staff.id)
            .limit(1)
        )


def _worker_pids(stack: RunningStack) -> dict[str, int]:
    """`careops-worker-N` → pid, from the pid file the stack keeps."""
    lines = (stack.prefect_home / "stack.pids").read_text(encoding="utf-8").splitlines()
    pids = {}
    for line in lines[1:]:
        pid, _, name = line.partition(" ")
        if name.startswith("prefect worker "):
            pids[f"careops-worker-{name.rsplit(' ', 1)[1]}"] = int(pid)
    return pids


def _workers_back(stack: RunningStack, since: datetime) -> bool | None:
    """Both workers have told the server they poll since `since` (the restart after the kill)."""

    async def read(client):
        return await client.read_workers_for_work_pool("careops")

    workers = with_client(stack.api_url, read)
    fresh = {w.name for w in workers if w.last_heartbeat_time and w.last_heartbeat_time > since}
    return True if fresh >= {"careops-worker-1", "careops-worker-2", SECOND} else None


def _heartbeats(stack: RunningStack, run_ids: list[str]) -> set[str]:
    """The ids of those runs whose heartbeat event the server has stored."""
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    async def read(client):
        found = set()
        for run_id in run_ids:  # one query per run: the server caps a page at 50 events
            wanted = EventFilter(
                event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                resource=EventResourceFilter(id=[f"prefect.flow-run.{run_id}"]),
            )
            if (await client.read_events(wanted, limit=1)).events:
                found.add(run_id)
        return found

    return with_client(stack.api_url, read)


def _run(stack: RunningStack, run_id: str):
    async def read(client):
        return await client.read_flow_run(uuid.UUID(run_id))

    return with_client(stack.api_url, read)


def _wait_final(stack: RunningStack, ids: list[str]) -> list:
    deadline = time.monotonic() + WAIT
    while True:
        runs = [_run(stack, i) for i in ids]
        if all(r.state is not None and r.state.is_final() for r in runs):
            return runs
        assert time.monotonic() < deadline, (
            f"not final: {[(r.name, r.state and r.state.name) for r in runs]}\n{stack.output}"
        )
        time.sleep(2)


def _wait_for(probe, what: str):
    deadline = time.monotonic() + WAIT
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"no {what} within {WAIT:.0f} s"
        time.sleep(2)
    return found


def _retries(stack: RunningStack) -> list:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    async def read(client):
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["crash-retry"]))
        )

    return with_client(stack.api_url, read)


def _wait_outbox_sent(url: str) -> list[str]:
    """The Message-IDs of all outbox mail, once none is pending or sending any more."""
    from careops.db.models.outbox import OutboxMessage

    def settled():
        with get_engine(url).connect() as conn:
            rows = conn.execute(select(OutboxMessage.status, OutboxMessage.message_id)).all()
        if any(str(s) in ("pending", "sending") for s, _ in rows):
            return None
        return [m.strip("<>") for s, m in rows if str(s) == "sent"]

    return _wait_for(settled, "settled outbox")


def _delivered_ids(mail_dir: Path) -> list[str]:
    parser = BytesHeaderParser()
    return [
        str(parser.parsebytes(p.read_bytes())["Message-ID"]).strip("<>")
        for p in sorted(mail_dir.glob("*.eml"))
    ]


def _ops_crash_mails(mail_dir: Path, names: list[str]) -> dict[str, int]:
    """How many mails to ops name each run in their subject (the ops_failure notice)."""
    from email.header import decode_header, make_header

    parser = BytesHeaderParser()
    counts = dict.fromkeys(names, 0)
    for path in sorted(mail_dir.glob("*.eml")):
        headers = parser.parsebytes(path.read_bytes())
        subject = str(make_header(decode_header(headers["Subject"] or "")))
        if OPS in (headers["To"] or ""):
            for name in names:
                counts[name] += f" {name} " in f" {subject} "
    return counts


def test_the_automations_exist_once_and_a_restart_creates_none(stack: RunningStack) -> None:
    from types import SimpleNamespace

    from careops.stack.automations import (
        RECOVERY_AUTOMATION,
        ZOMBIE_AUTOMATION,
        ensure_automations,
    )

    assert ensure_automations(SimpleNamespace(api_url=stack.api_url)) == []  # as at a restart

    async def read(client):
        return {
            name: await client.read_automations_by_name(name)
            for name in (ZOMBIE_AUTOMATION, RECOVERY_AUTOMATION)
        }

    found = with_client(stack.api_url, read)
    assert {name: len(items) for name, items in found.items()} == {
        ZOMBIE_AUTOMATION: 1,
        RECOVERY_AUTOMATION: 1,
    }
    assert found[ZOMBIE_AUTOMATION][0].enabled


def test_a_finished_run_is_never_marked_crashed_by_the_automation(stack: RunningStack) -> None:
    """PrefectHQ/prefect#18653: a heartbeat sent between Completed and the process exit opens
    a window that nothing follows. The automation's state change is not forced, as here, and
    the server's core policy refuses it on a finished run."""
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    async def propose(client):
        (run,) = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["report-fault"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
            ),
            limit=1,
        )
        result = await client.set_flow_run_state(run.id, Crashed(message="late"), force=False)
        return result, await client.read_flow_run(run.id)

    result, run = with_client(stack.api_url, propose)
    assert result.status.value == "ABORT", result
    assert run.state.is_completed()
