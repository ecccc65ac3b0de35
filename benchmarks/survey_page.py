"""The survey page under load: GET and POST of the form with 50 concurrent loopback clients.

    .venv/bin/python benchmarks/survey_page.py [--clients 50] [--requests 2000]

Seeds a fresh SQLite database with `--clients` campaign members, serves the web app with
uvicorn in its own process (one worker, as `careops stack up` does), then each client (httpx,
HTTP/1.1 keep-alive) loads its own member's form and posts an answer, over and over. Prints
requests/s, median and p99 latency of GET and POST, beside the anchor: GET /healthz (the same
server and clients, no template, no database).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.staff_pages import server_cpu, wait_for_web  # noqa: E402
from careops.stack.processes import free_port  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _serve(url: str, port: int, secret: str) -> None:  # runs in the server process
    os.environ.update({"CAREOPS_DATABASE_URL": url, "CAREOPS_WEB__SECRET_KEY": secret})
    import uvicorn

    from benchmarks.survey_invitations import NOW
    from careops.clock import FrozenClock
    from careops.web.app import create_app

    uvicorn.run(create_app(clock=FrozenClock(NOW)), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def seed(url: str, count: int, secret: str) -> list[str]:
    from sqlalchemy import text

    from benchmarks.survey_invitations import DAY, NOW
    from benchmarks.survey_invitations import seed as seed_customers
    from careops.db.engine import make_engine
    from careops.db.migrate import upgrade
    from careops.db.uow import UnitOfWork
    from careops.process_settings import SurveySettings
    from careops.services.survey.campaign import build_campaign
    from careops.services.survey.links import SurveyLinks

    upgrade(url)
    engine = make_engine(url)
    seed_customers(engine, count)
    build_campaign(UnitOfWork(engine), 2026, DAY, SurveySettings(), NOW)
    links = SurveyLinks(secret, "", 90)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT m.id, c.contact_email FROM campaign_member m JOIN customer c "
            "ON c.id = m.customer_id ORDER BY m.id")).all()
    engine.dispose()
    return [f"/survey/{links.token(i, email)}" for i, email in rows]  # the page checks "to"


async def load(base: str, paths: list[str], total: int, kind: str) -> list[float]:
    latencies: list[float] = []
    per_client = total // len(paths)

    async def client(path: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            page = await http.get(path)
            token = CSRF.search(page.text).group(1)
            for n in range(per_client):
                started = time.perf_counter()
                if kind == "get":
                    response = await http.get(path)
                elif kind == "post":
                    response = await http.post(path, data={
                        "needs": ["website", "app"], "budget": "50k_200k", "timing": "q2",
                        "contact_preference": "phone", "comments": f"第{n}次修改",
                        "csrf_token": token})
                else:
                    response = await http.get("/healthz")
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, (kind, response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(client(p) for p in paths))
    latencies.append(-(time.perf_counter() - started))  # the wall time, marked negative
    return latencies


def figures(latencies: list[float]) -> tuple[float, float, float]:
    """(req/s, median ms, p99 ms) of a `load` result (its last item: minus the wall time)."""
    wall, done = -latencies[-1], sorted(latencies[:-1])
    p99 = done[int(len(done) * 0.99) - 1]
    return len(done) / wall, statistics.median(done) * 1e3, p99 * 1e3


def report(kind: str, latencies: list[float], anchor: float | None = None) -> str:
    """One line; beside the anchor's rate, the ratio and whether the target holds (issue 19:
    at least 0.5x of /healthz, p99 <= 1 s)."""
    rate, median, p99 = figures(latencies)
    tail = "" if anchor is None else f"   x{rate / anchor:.2f} of the anchor" + (
        "" if rate >= 0.5 * anchor and p99 <= 1000 else "  BELOW TARGET")
    return (f"{kind:<16} {rate:8.0f} req/s   median {median:6.1f} ms   p99 {p99:6.1f} ms"
            + tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    secret = secrets.token_urlsafe(32)  # a key careops accepts (careops.secrets)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'web.db'}"
        paths = seed(url, args.clients, secret)
        port = free_port()
        server = mp.get_context("spawn").Process(target=_serve, args=(url, port, secret),
                                                 daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        wait_for_web(base)
        results, cpu = {}, {}
        for kind in ("anchor", "get", "post"):
            before = server_cpu(server.pid)
            results[kind] = asyncio.run(load(base, paths, args.requests, kind))
            cpu[kind] = (server_cpu(server.pid) - before) / (len(results[kind]) - 1)
        server.terminate()
        server.join(timeout=10)
    print(f"{args.clients} concurrent clients, {args.requests} requests each kind, sqlite, "
          "one uvicorn worker")
    print(report("GET /healthz", results["anchor"]) + "   (anchor)"
          + f"   server CPU {cpu['anchor'] * 1e3:4.2f} ms/req")
    anchor = figures(results["anchor"])[0]
    print(report("GET survey form", results["get"], anchor)
          + f"   server CPU {cpu['get'] * 1e3:4.2f} ms/req")
    print(report("POST survey form", results["post"], anchor)
          + f"   server CPU {cpu['post'] * 1e3:4.2f} ms/req")
    print("load average (1, 5, 15 min) at the end: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
