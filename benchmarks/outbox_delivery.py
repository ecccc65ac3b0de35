"""Outbox delivery throughput against raw aiosmtplib over the same reused connections.

    .venv/bin/python benchmarks/outbox_delivery.py [--count 5000] [--database-url URL]

Starts a discarding aiosmtpd server in a separate process on loopback, enqueues `count`
rendered mails into a fresh SQLite database (or URL: use a scratch database, every due outbox
message in it is delivered), times `deliver_pending` (claim → send → mark, batch by batch),
then the anchor: raw aiosmtplib sending the same bytes over `pool_size` reused connections,
with no database at all. Prints both rates and their ratio (target >= 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib  # noqa: E402
from sqlalchemy import Engine, select, update  # noqa: E402

from careops import outbox  # noqa: E402
from careops.clock import utcnow  # noqa: E402
from careops.db.engine import make_engine  # noqa: E402
from careops.db.migrate import upgrade  # noqa: E402
from careops.db.models.outbox import OutboxMessage  # noqa: E402
from careops.db.uow import UnitOfWork  # noqa: E402
from careops.mail.delivery import deliver_pending  # noqa: E402
from careops.mail.message import build_message  # noqa: E402
from careops.mail.render import MailRenderer  # noqa: E402
from careops.settings import PROJECT_ROOT, SmtpSettings  # noqa: E402
from careops.stack.processes import free_port  # noqa: E402


def _serve(port: int, ready, received, stop) -> None:  # runs in the server process
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
            received.value += 1
            return "250 OK"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def enqueue(url: str, count: int, prefix: str) -> float:
    renderer = MailRenderer(PROJECT_ROOT / "templates")
    engine = make_engine(url)
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        for n in range(count):
            rendered = renderer.render(
                "ops_failure",
                "zh_CN",
                {
                    "flow_name": "plan-callbacks",
                    "flow_run_name": f"run-{n}",
                    "state": "Failed",
                    "message": "数据库不可达 " * 20,
                    "run_url": f"http://127.0.0.1:4200/runs/flow-run/{n}",
                },
            )
            to = [f"员工{n} <staff{n % 97}@example.com>"]
            message = build_message(sender="客服部 <careops@example.com>", recipients=to,
                                    rendered=rendered)
            outbox.enqueue(uow.session, key=f"{prefix}-{n}", category="bench", recipients=to,
                           message=message)
        uow.commit()
    engine.dispose()
    return time.perf_counter() - started


def reset(engine: Engine, prefix: str) -> None:
    """Make the benchmark's mails due again (for the next round)."""
    table = OutboxMessage.__table__
    with engine.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.key.startswith(prefix))
            .values(status="pending", attempts=0, sent_at=None, claimed_until=None,
                    next_attempt_at=utcnow())
        )


def load(engine: Engine, prefix: str) -> list[tuple[list[str], bytes]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.recipients, OutboxMessage.raw)
            .where(OutboxMessage.key.startswith(prefix))
            .order_by(OutboxMessage.id)
        ).all()
    return [(r.recipients.split(","), r.raw.encode()) for r in rows]


async def raw_send(smtp: SmtpSettings, mails: list[tuple[list[str], bytes]]) -> float:
    """The anchor: the same bytes over `pool_size` reused aiosmtplib connections."""
    queue: asyncio.Queue = asyncio.Queue()
    for mail in mails:
        queue.put_nowait(mail)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname=smtp.host, port=smtp.port, start_tls=False)
        await client.connect()
        while not queue.empty():
            recipients, raw = queue.get_nowait()
            await client.sendmail("careops@example.com", recipients, raw)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(smtp.pool_size)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pool-size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port = free_port()
    ready, received, stop = ctx.Event(), ctx.Value("i", 0), ctx.Event()
    server = ctx.Process(target=_serve, args=(port, ready, received, stop), daemon=True)
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        enqueue_seconds = enqueue(url, args.count, prefix)
        if not ready.wait(timeout=30):
            raise SystemExit("the SMTP server process did not start")
        smtp = SmtpSettings(host="127.0.0.1", port=port, pool_size=args.pool_size,
                            sender="客服部 <careops@example.com>")
        engine = make_engine(url)
        outbox_times, raw_times = [], []
        for _round in range(args.rounds):  # alternate, keep the best: the host may be busy
            reset(engine, prefix)
            started = time.perf_counter()
            report = deliver_pending(engine, smtp, batch=args.batch)
            outbox_times.append(time.perf_counter() - started)
            assert report.sent == args.count and not report.errors, report
            if _round == 0:
                mails = load(engine, prefix)
            raw_times.append(asyncio.run(raw_send(smtp, mails)))
        engine.dispose()
    stop.set()
    server.join(timeout=10)
    expected = 2 * args.count * args.rounds
    assert received.value == expected, f"server got {received.value} of {expected} mails"
    outbox_seconds, raw_seconds = min(outbox_times), min(raw_times)

    outbox_rate, raw_rate = args.count / outbox_seconds, args.count / raw_seconds
    size = sum(len(raw) for _r, raw in mails) / len(mails)
    print(f"{args.count} mails of {size / 1024:.1f} KiB, batch {args.batch}, "
          f"pool {args.pool_size}, {url.split(':')[0]}, best of {args.rounds} rounds")
    print(f"render + enqueue:        {args.count / enqueue_seconds:8.0f} msgs/s "
          f"({enqueue_seconds:.2f} s)")
    print(f"outbox deliver_pending:  {outbox_rate:8.0f} msgs/s ({outbox_seconds:.2f} s)")
    print(f"raw aiosmtplib (anchor): {raw_rate:8.0f} msgs/s ({raw_seconds:.2f} s)")
    print(f"ratio outbox / raw:      {outbox_rate / raw_rate:8.2f}  (target >= 0.70)")
    print("rounds (s), outbox: " + " ".join(f"{t:.2f}" for t in outbox_times)
          + "  raw: " + " ".join(f"{t:.2f}" for t in raw_times))


if __name__ == "__main__":
    main()
