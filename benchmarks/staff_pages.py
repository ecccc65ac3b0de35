"""The staff pages under load: GET of each personal page (R1, R3, R4, R5, R6), 50 clients.

    .venv/bin/python benchmarks/staff_pages.py [--clients 50] [--requests 1000] [--rounds 2]
                                               [--calls 10] [--kinds calls,alert,...]

Seeds a fresh SQLite database through the services (benchmarks/staff_seed.py: per client one
person of each page and their own item) and makes each client's personal link with
careops.staff_links.StaffLinks and the server's key, with the scope, subject and expiry the
page's mails give it:

    calls   R1 call list   /staff/calls/<token>   a CS person's February callbacks (`--calls`
                                                  projects, a third with a "not reached" try)
    alert   R3 alert page  /staff/alert/<token>   "I'm on it": their project's site down for
                                                  three watch rounds, the incident alerted
    weekly  R4 weekly page /staff/weekly/<token>  a TS person's form for the week, with the
                                                  week's draft facts (callbacks, a fault)
    fault   R5 fault page  /staff/fault/<token>   the TS contact's "record the end" form of a
                                                  major fault reported (and notified) at NOW
    case    R6 case page   /staff/case/<token>    a complaint opened by the CS person

Every kind is seeded whichever `--kinds` (default: all) are measured, so the figures of a
subset compare with a full run. The web app runs in its own process with uvicorn (one worker,
as `careops stack up` does) on one frozen clock (NOW) inside every link's validity; a warm-up
GET of each kind, in both languages, must answer 200 with the page's heading. Then each client
(httpx, HTTP/1.1 keep-alive) loads its own person's page over and over. Prints requests/s,
median and p99 latency beside the anchor: GET /healthz (the same server and clients, no
template, no database), and the ratio page / anchor (target >= 0.5, p99 <= 1 s; "BELOW TARGET"
otherwise). The kinds alternate `--rounds` times and each keeps its best round (the host may be
busy); the load average is printed with the figures, and the server process's CPU time per
request (steadier than the rates when other processes share the cores).
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
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.staff_seed import KINDS, english, seed  # noqa: E402
from careops.stack.processes import free_port  # noqa: E402

NOW = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)  # Tuesday 11:00 Asia/Shanghai
LABELS = {"calls": "GET R1 call list", "alert": "GET R3 alert page",
          "weekly": "GET R4 weekly page", "fault": "GET R5 fault page", "case": "GET R6 case page"}
# A distinctive word of each page (Chinese, English), never in an error page: the heading,
# the weekly form's button (its error page's title says 周报 too).
HEADINGS = {"calls": ("我的回访", "My callbacks"), "alert": ("网站故障：我来处理", "Site down"),
            "weekly": ("提交周报", "Submit the report"),
            "fault": ("登记故障结束", "Record the end of the fault"),
            "case": ("事项 #", "Case #")}


def _serve(url: str, port: int, secret: str) -> None:  # runs in the server process
    os.environ.update({"CAREOPS_DATABASE_URL": url, "CAREOPS_WEB__SECRET_KEY": secret})
    import uvicorn

    from careops.clock import FrozenClock
    from careops.web.app import create_app

    uvicorn.run(create_app(clock=FrozenClock(NOW)), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


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


def _kinds(text: str) -> tuple[str, ...]:
    """`--kinds calls,fault`: in the order of KINDS (R1, R3, R4, R5, R6)."""
    chosen = {k.strip() for k in text.split(",") if k.strip()}
    if not chosen or chosen - set(KINDS):
        raise argparse.ArgumentTypeError(f"choose among {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000, help="per kind and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=10, help="callbacks per person")
    parser.add_argument("--kinds", type=_kinds, default=KINDS,
                        help=f"comma-separated, of {','.join(KINDS)} (default: all)")
    args = parser.parse_args()
    secret = secrets.token_urlsafe(32)  # a key careops accepts (careops.secrets)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'staff.db'}"
        paths = seed(url, args.clients, args.calls, secret, NOW)
        port = free_port()
        server = mp.get_context("spawn").Process(target=_serve, args=(url, port, secret),
                                                 daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        wait_for_web(base)
        for kind in args.kinds:  # warm up (imports, templates, first queries): the real page
            for n, path in list(enumerate(paths[kind]))[:2]:
                page = httpx.get(base + path)
                word = HEADINGS[kind][1 if english(n) else 0]
                if page.status_code != 200 or word not in page.text:
                    raise SystemExit(f"{kind}: {path} answered {page.status_code} without "
                                     f"{word!r}:\n{page.text[:2000]}")
        runs = {"GET /healthz": ["/healthz"] * args.clients,
                **{LABELS[kind]: paths[kind] for kind in args.kinds}}
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
