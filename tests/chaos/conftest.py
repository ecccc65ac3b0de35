"""Fixtures of the chaos tests (marker `chaos`): real processes killed, servers stopped,
database backends terminated. Each test prints its figures; none asserts on time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from careops.db.engine import get_engine
from careops.db.models.outbox import OutboxMessage
from careops.settings import PROJECT_ROOT
from tests.conftest import PG_ADMIN_URL
from tests.support.smtp import SmtpSink

CAREOPS = Path(sys.executable).parent / "careops"


@pytest.fixture
def chaos_db_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL when CAREOPS_TEST_DATABASE_URL is set (the scale-out backend), else SQLite:
    one backend per chaos test keeps the suite's time down."""
    return request.getfixturevalue("postgres_url" if PG_ADMIN_URL else "sqlite_only_url")


@pytest.fixture
def chaos_engine(chaos_db_url: str) -> Engine:
    return get_engine(chaos_db_url)


@pytest.fixture
def slow_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback taking 20 ms to accept each message."""
    sink = SmtpSink(delay=0.02).start()
    yield sink
    sink.stop()


def process_env(db_url: str, sink: SmtpSink, **careops: str) -> dict[str, str]:
    """The environment of a careops process an operator would start: the database and the SMTP
    server, plus CAREOPS_<KEY> settings (`smtp__lease_seconds="3"`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREOPS_", "PREFECT_"))}
    env |= {
        "CAREOPS_SECRETS_DIR": os.environ["CAREOPS_SECRETS_DIR"],  # the session's generated key
        "CAREOPS_DATABASE_URL": db_url,
        "CAREOPS_SMTP__HOST": sink.host,
        "CAREOPS_SMTP__PORT": str(sink.port),
    }
    env |= {f"CAREOPS_{key.upper()}": value for key, value in careops.items()}
    return env


def start(args: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    """Start a process writing to `log` (None: a text pipe, read with `communicate()`)."""
    out = log.open("ab") if log is not None else subprocess.PIPE
    return subprocess.Popen(
        args, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=log is None
    )


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `condition` every 20 ms; the seconds it took (AssertionError naming `what`)."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - began


def outbox_rows(engine: Engine) -> list:
    """(key, message_id, status, attempts) of every outbox row."""
    t = OutboxMessage.__table__
    with engine.connect() as conn:
        return conn.execute(select(t.c.key, t.c.message_id, t.c.status, t.c.attempts)).all()


def received_ids(sink: SmtpSink) -> Counter:
    return Counter(str(m.message["Message-ID"]) for m in sink.messages)
