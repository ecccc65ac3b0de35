"""Start `careops stack up` as a subprocess on free ports, for end-to-end tests.

A temporary database, PREFECT_HOME and mail directory; the console output goes to
`<dir>/stack.out`. `running_stack()` stops it (SIGINT, then SIGKILL of what is left).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from careops.settings import PROJECT_ROOT
from careops.stack.processes import free_port

READY_TIMEOUT = 180.0


@dataclass
class RunningStack:
    proc: subprocess.Popen
    root: Path
    port: int
    smtp_port: int
    web_port: int
    database_url: str = ""

    def __post_init__(self) -> None:
        self.database_url = self.database_url or f"sqlite:///{self.root / 'careops.db'}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail"

    @property
    def prefect_home(self) -> Path:
        return self.root / "prefect"

    @property
    def output(self) -> str:
        return (self.root / "stack.out").read_text(encoding="utf-8", errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if "careops stack is up" in self.output:
                return
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"stack exited with {self.proc.returncode} before it was up:\n{self.output}"
                )
            time.sleep(0.5)
        raise AssertionError(f"stack not up within {READY_TIMEOUT} s:\n{self.output}")


def start_stack(
    root: Path, *args: str, database_url: str = "", env: dict[str, str] | None = None
) -> RunningStack:
    """`database_url`: careops's database (default: SQLite in `root`); `env`: more variables."""
    port, smtp_port, web_port = free_port(), free_port(), free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREOPS_"))}
    env.update(
        CAREOPS_DATABASE_URL=database_url or f"sqlite:///{root / 'careops.db'}",
        CAREOPS_PREFECT__HOME=str(root / "prefect"),
        CAREOPS_CATCHER__MAIL_DIR=str(root / "mail"),
        **extra,
    )
    with (root / "stack.out").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from careops.cli.stack import app; app()", "up",
             "--port", str(port), "--smtp-port", str(smtp_port), "--web-port", str(web_port),
             *args],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return RunningStack(proc, root, port, smtp_port, web_port, database_url)


def kill_stack(stack: RunningStack) -> None:
    if stack.proc.poll() is None:
        os.killpg(stack.proc.pid, signal.SIGKILL)
        stack.proc.wait()


@contextmanager
def running_stack(
    root: Path, *args: str, database_url: str = "", env: dict[str, str] | None = None
) -> Iterator[RunningStack]:
    """A stack that is up; stopped with SIGINT afterwards (killed if it does not stop)."""
    from careops.stack.processes import descendants

    stack = start_stack(root, *args, database_url=database_url, env=env)
    children: list[int] = []
    try:
        stack.wait_ready()
        children = descendants(stack.proc.pid)
        yield stack
        stack.proc.send_signal(signal.SIGINT)
        stack.proc.wait(timeout=60)
    finally:
        kill_stack(stack)
        for pid in children:
            with suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
