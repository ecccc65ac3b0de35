"""One R3 check round over 1,000 loopback sites: 900 healthy, 50 slower than the timeout, 50
refusing connections. Prints the round's wall time beside its lower bound (the timeout: the slow
sites cannot finish sooner) and the client's CPU time.

    .venv/bin/python benchmarks/site_checks.py [--timeout 3] [--client aiohttp|httpx]

The servers run in a child process, so the CPU figure is the client's alone. `--client httpx`
runs the same round with httpx (the alternative considered; careops uses aiohttp).
Targets (issue 9): wall within 1.3x of the lower bound, client CPU <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from careops.settings import get_settings  # noqa: E402
from careops.site_checker import Target, check_all, ssl_context  # noqa: E402

PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s")
BODY = "<html><body>欢迎访问 welcome</body></html>".encode()


async def _serve(healthy_port: int, slow_port: int) -> None:
    async def healthy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(PAGE % (len(BODY), BODY))
        await writer.drain()
        writer.close()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(60)
        writer.close()

    a = await asyncio.start_server(healthy, "127.0.0.1", healthy_port, backlog=2048)
    b = await asyncio.start_server(slow, "127.0.0.1", slow_port, backlog=2048)
    print("ready", flush=True)
    async with a, b:
        await asyncio.gather(a.serve_forever(), b.serve_forever())


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


async def _httpx_round(targets: list[Target], timeout: float, concurrency: int) -> dict:
    import httpx

    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=timeout, limits=limits, verify=ssl_context(),
                                 follow_redirects=True) as client:
        async def one(t: Target):
            async with gate:
                try:
                    async with asyncio.timeout(timeout + 1):
                        r = await client.get(t.url)
                        return r.status_code
                except (httpx.HTTPError, TimeoutError) as exc:
                    return type(exc).__name__

        results = await asyncio.gather(*(one(t) for t in targets))
    return dict(zip((t.site_id for t in targets), results, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--concurrency", type=int,
                        default=get_settings().holiday_watch.concurrency)
    parser.add_argument("--serve", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(*args.serve))
        return
    healthy_port, slow_port, *refused = free_ports(52)
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(healthy_port),
                               str(slow_port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        targets = [Target(i, f"http://127.0.0.1:{healthy_port}/site/{i}") for i in range(900)]
        targets += [Target(900 + i, f"http://127.0.0.1:{slow_port}/slow/{i}") for i in range(50)]
        targets += [Target(950 + i, f"http://127.0.0.1:{refused[i % 50]}/") for i in range(50)]
        # interleave, as a real list of sites would be
        targets = [t for i in range(20) for t in targets[i::20]]
        print(f"client {args.client}, {len(targets)} sites (900 healthy, 50 slow, 50 "
              f"refusing), timeout {args.timeout:g} s, concurrency {args.concurrency}")
        healthy = [t for t in targets if f":{healthy_port}/" in t.url]
        anchor, _cpu, _up, _ = _round(args, healthy)
        print(f"  anchor: the 900 healthy sites alone, same client: "
              f"{anchor:.2f} s")
        wall, cpu, up, results = _round(args, targets)
        _print("round 1, sites in list order", wall, cpu, up, args.timeout, anchor)
        if args.client == "aiohttp":
            # careops orders a round by the last one: failing and slowest sites first
            ordered = sorted(targets, key=lambda t: (results[t.site_id].error is None,
                                                     -(results[t.site_id].elapsed_ms or 0)))
            wall, cpu, up, _ = _round(args, ordered)
            _print("round 2, slowest of round 1 first (as the watch does)", wall, cpu, up,
                   args.timeout, anchor)
    finally:
        server.kill()
        server.wait()


def _round(args, targets: list[Target]):
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    if args.client == "aiohttp":
        results = asyncio.run(check_all(targets, timeout=args.timeout,
                                        concurrency=args.concurrency))
        up = sum(1 for r in results.values() if r.error is None and r.status == 200)
    else:
        results = asyncio.run(_httpx_round(targets, args.timeout, args.concurrency))
        up = sum(1 for r in results.values() if r == 200)
    wall = time.perf_counter() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return wall, cpu, up, results


def _print(title: str, wall: float, cpu: float, up: int, timeout: float, anchor: float) -> None:
    bound = max(timeout, anchor)
    print(f"  {title}: up {up} (expected 900)")
    print(f"    wall time: {wall:.2f} s   lower bound max(timeout, anchor): {bound:.2f} s   "
          f"ratio: {wall / bound:.2f}x   vs the timeout alone: {wall / timeout:.2f}x "
          "(target <= 1.3x)")
    print(f"    client CPU: {cpu:.2f} s   (target <= 1 s)")


if __name__ == "__main__":
    main()
