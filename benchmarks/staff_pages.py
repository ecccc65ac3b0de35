"""The staff pages under load: GET of the R1 call list and of the R6 case page, 50 clients.

    .venv/bin/python benchmarks/staff_pages.py [--clients 50] [--requests 1000] [--rounds 2]
                                               [--calls 10]

Seeds a fresh SQLite database (tests.support.factories.World and the services: per client one
CS person owning `--calls` projects delivered in January, `plan_month` for February 2026 makes
their callbacks, a third of them with a "not reached" attempt recorded by
`outcomes.record_outcome`; and one complaint case each, opened by `cases.steps.open_case`),
serves the web app with uvicorn in its own process (one worker, as `careops stack up` does) on a
frozen clock, then each client (httpx, HTTP/1.1 keep-alive) loads its own person's page over
and over. Links are made with careops.staff_links.StaffLinks and the server's key. Prints
requests/s, median and p99 latency beside the anchor: GET /healthz (the same server and
clients, no template, no database), and the ratio page / anchor (target >= 0.5, p99 <= 1 s).
The kinds alternate `--rounds` times and each keeps its best round (the host may be busy);
the load average is printed with the figures, and the server process's CPU time per request
(steadier than the rates when other processes share the cores).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from careops.stack.processes import free_port  # noqa: E402

NOW = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)


def _serve(url: str, port: int, secret: str) -> None:  # runs in the server process
    os.environ.update({"CAREOPS_DATABASE_URL": url, "CAREOPS_WEB__SECRET_KEY": secret})
    import uvicorn

    from careops.clock import FrozenClock
    from careops.web.app import create_app

    uvicorn.run(create_app(clock=FrozenClock(NOW)), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def seed(url: str, clients: int, calls: int, secret: str) -> dict[str, list[str]]:
    """Each client's path of each page."""
    os.environ.update({"CAREOPS_DATABASE_URL": url, "CAREOPS_WEB__SECRET_KEY": secret})
    from sqlalchemy import select

    from careops.bootstrap import get_calendar
    from careops.db.engine import make_engine
    from careops.db.migrate import upgrade
    from careops.db.models.callbacks import Callback, CallbackOutcome
    from careops.db.models.common import Staff
    from careops.db.uow import UnitOfWork
    from careops.months import Month
    from careops.rules.cases import CaseKind, Channel
    from careops.services.callbacks.my_calls import call_list_expiry
    from careops.services.callbacks.outcomes import OutcomeInput, record_outcome
    from careops.services.callbacks.planning import plan_month
    from careops.services.cases.notices import CaseEnv, case_link_expiry
    from careops.services.cases.steps import CaseIntake, open_case
    from careops.settings import get_settings
    from careops.staff_links import StaffLinks
    from tests.support.factories import World

    upgrade(url)
    engine = make_engine(url)
    uow = UnitOfWork(engine)
    world = World(uow)
    month = Month(2026, 2)
    people = []
    for n in range(clients):
        code = f"CS{n:03d}"
        staff_id = world.staff(code, name=f"客服{n}", locale="en" if n % 5 == 0 else "zh_CN")
        for k in range(calls):
            customer = world.customer(f"C{n:03d}{k:02d}", name=f"上海第{n}-{k}号科技有限公司")
            world.project(f"P{n:03d}{k:02d}", customer, date(2026, 1, 1 + k % 28),
                          cs_owner_id=staff_id)
        people.append((staff_id, code))
    plan_month(UnitOfWork(engine), month, get_calendar(), NOW)
    with uow:
        callback_ids = list(uow.session.scalars(select(Callback.id).order_by(Callback.id)))
    for callback_id in callback_ids[::3]:
        record_outcome(UnitOfWork(engine), callback_id, OutcomeInput(
            CallbackOutcome.NOT_REACHED, None, "关机，明天再打", None, recorded_by="bench"), NOW)
    env = CaseEnv.from_settings(get_settings())
    cases = {}
    for staff_id, code in people:
        result = open_case(UnitOfWork(engine), CaseIntake(
            kind=CaseKind.COMPLAINT, text="网站后台登录后白屏，已经两天了 <b>急</b>",
            taken_by=code, project_code=f"P{code[2:]}00", channel=Channel.PHONE,
            received_at=NOW), env, NOW)
        cases[staff_id] = result.case_id
    links = StaffLinks(secret, "")
    paths: dict[str, list[str]] = {"calls": [], "case": []}
    with uow:
        staff = {s.id: s for s in uow.session.scalars(select(Staff))}
        from careops.db.models.cases import Case

        due = {c.id: c.due_at for c in uow.session.scalars(select(Case))}
        for staff_id, _code in people:
            person = staff[staff_id]
            common = dict(staff_id=staff_id, recipient=person.email,
                          generation=person.link_generation)
            paths["calls"].append("/staff/calls/" + links.token(
                scope="calls", subject=str(month), expires=call_list_expiry(month), **common))
            case_id = cases[staff_id]
            paths["case"].append("/staff/case/" + links.token(
                scope="case", subject=f"case:{case_id}",
                expires=case_link_expiry(due[case_id], NOW), **common))
    engine.dispose()
    return paths


async def load(base: str, paths: list[str], total: int) -> tuple[float, list[float]]:
    """(wall seconds, latencies) of `total` GETs spread over one client per path."""
    latencies: list[float] = []
    per_client = total // len(paths)

    async def client(path: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            await http.get(path)  # untimed, as in survey_page.py: the connection is open
            for _ in range(per_client):
                started = time.perf_counter()
                response = await http.get(path)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(client(p) for p in paths))
    return time.perf_counter() - started, latencies


def wait_for_web(base: str, timeout: float = 60) -> None:
    """Until the web app at `base` answers /healthz (it starts in its own process)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the web app did not start")
        time.sleep(0.2)


def server_cpu(pid: int) -> float:
    """CPU seconds the server process used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def figures(wall: float, latencies: list[float]) -> tuple[float, float, float]:
    """(req/s, median ms, p99 ms)"""
    latencies = sorted(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(latencies) / wall, latencies[len(latencies) // 2] * 1e3, p99 * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000, help="per kind and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=10, help="callbacks per person")
    args = parser.parse_args()
    secret = secrets.token_urlsafe(32)  # a key careops accepts (careops.secrets)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'staff.db'}"
        paths = seed(url, args.clients, args.calls, secret)
        port = free_port()
        server = mp.get_context("spawn").Process(target=_serve, args=(url, port, secret),
                                                 daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        wait_for_web(base)
        for kind in ("calls", "case"):  # warm up: imports, templates, first queries
            httpx.get(base + paths[kind][0]).raise_for_status()
        runs = {
            "GET /healthz": ["/healthz"] * args.clients,
            "GET R1 call list": paths["calls"],
            "GET R6 case page": paths["case"],
        }
        results: dict[str, tuple[float, list[float]]] = {}
        cpu: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, p in runs.items():
                before = server_cpu(server.pid)
                wall, latencies = asyncio.run(load(base, p, args.requests))
                used = (server_cpu(server.pid) - before) / len(latencies)
                cpu[name] = min(cpu.get(name, used), used)
                if name not in results or wall < results[name][0]:
                    results[name] = (wall, latencies)
        load_average = os.getloadavg()
        server.terminate()
        server.join(timeout=10)
    print(f"{args.clients} concurrent clients, {args.requests} requests each kind, best of "
          f"{args.rounds} rounds, sqlite, one uvicorn worker, {args.calls} callbacks per person")
    anchor = figures(*results["GET /healthz"])[0]
    for name, result in results.items():
        rate, median, p99 = figures(*result)
        tail = "(anchor)" if name == "GET /healthz" else (
            f"x{rate / anchor:.2f} of the anchor"
            f"{'' if rate >= 0.5 * anchor and p99 <= 1000 else '  BELOW TARGET'}")
        print(f"{name:<18} {rate:6.0f} req/s   median {median:6.1f} ms   p99 {p99:6.1f} ms   "
              f"server CPU {cpu[name] * 1e3:4.2f} ms/req   {tail}")
    print("load average (1, 5, 15 min) at the end: " + " ".join(f"{x:.2f}" for x in load_average))


if __name__ == "__main__":
    main()
