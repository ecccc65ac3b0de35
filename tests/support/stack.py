"""Start `careops stack up` as a subprocess on free ports, for end-to-end tests.

A temporary database, PREFECT_HOME, mail and secrets directory; the console output goes to
`<dir>/stack.out`. `running_stack()` stops it (SIGINT, then SIGKILL of what is left).

The stack generates its web signing key and Prefect API auth string in `<dir>/secrets` (unless
`env` configures them). While `running_stack()` runs, this process's careops reads them there as
a command on the stack's machine would (CAREOPS_SECRETS_DIR), so its Prefect clients send the
auth string and the links it makes open on the stack's web app; a bare `PrefectClient` needs
`auth_string=stack.auth_string`.

`mails()` / `wait_for_mail()` read the mail the stack's SMTP catcher stored (`stack.mail_dir`).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from careops.settings import PROJECT_ROOT
from careops.stack.processes import free_port

READY_TIMEOUT = 600.0  # generous: a loaded 2-core machine starting several stacks at once


@dataclass
class RunningStack:
    proc: subprocess.Popen
    root: Path
    port: int
    smtp_port: int
    web_port: int
    database_url: str = ""
    env: dict[str, str] = field(default_factory=dict)  # the variables the test added
    prefect_dir: Path | None = None  # PREFECT_HOME when not `root/prefect` (prefect_home_for)

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
        return self.prefect_dir or self.root / "prefect"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def auth_string(self) -> str | None:
        """The API auth string the stack's server requires: configured, else generated."""
        from careops.secrets import PREFECT_AUTH_FILE

        configured = self.env.get("CAREOPS_PREFECT__AUTH_STRING")
        if configured:
            return configured
        path = self.secrets_dir / PREFECT_AUTH_FILE
        return path.read_text(encoding="utf-8").strip() if path.is_file() else None

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


def prefect_home_for(root: Path) -> Path:
    """Where a test stack keeps PREFECT_HOME (its server's PostgreSQL data included).

    As root, a fresh 0711 directory right under the system's temporary directory (1777): the
    PostgreSQL runs as `nobody` and must pass through every directory above its data, and any
    other pytest run of root's on the machine resets /tmp/pytest-of-root to 0700 at its start
    (pytest's own safety check), so a stack under pytest's tmp_path could lose its way in at any
    moment. `root/prefect` is a symlink to it, for whoever reads a test's files. Otherwise
    `root/prefect`."""
    if os.geteuid() != 0:
        return root / "prefect"
    home = Path(tempfile.mkdtemp(prefix="careops-prefect-"))
    home.chmod(0o711)
    with suppress(OSError):
        (root / "prefect").symlink_to(home, target_is_directory=True)
    return home


def start_stack(
    root: Path, *args: str, database_url: str = "", env: dict[str, str] | None = None
) -> RunningStack:
    """`database_url`: careops's database (default: SQLite in `root`); `env`: more variables."""
    prefect_dir = prefect_home_for(root)
    port, smtp_port, web_port = free_port(), free_port(), free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREOPS_"))}
    env.update(
        CAREOPS_DATABASE_URL=database_url or f"sqlite:///{root / 'careops.db'}",
        CAREOPS_PREFECT__HOME=str(prefect_dir),
        CAREOPS_CATCHER__MAIL_DIR=str(root / "mail"),
        CAREOPS_SECRETS_DIR=str(root / "secrets"),
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
    return RunningStack(proc, root, port, smtp_port, web_port, database_url, dict(extra),
                        prefect_dir)


def kill_stack(stack: RunningStack) -> None:
    if stack.proc.poll() is None:
        os.killpg(stack.proc.pid, signal.SIGKILL)
        stack.proc.wait()


@contextmanager
def running_stack(
    root: Path, *args: str, database_url: str = "", env: dict[str, str] | None = None
) -> Iterator[RunningStack]:
    """A stack that is up; stopped with SIGINT afterwards (killed if it does not stop).
    Meanwhile this process's careops uses the stack's secrets directory."""
    import pytest

    from careops.settings import get_settings
    from careops.stack.processes import descendants, stop_leftovers

    stack = start_stack(root, *args, database_url=database_url, env=env)
    children: list[int] = []
    try:
        stack.wait_ready()
        children = descendants(stack.proc.pid)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CAREOPS_SECRETS_DIR", str(stack.secrets_dir))
            get_settings.cache_clear()
            try:
                yield stack
            finally:
                get_settings.cache_clear()
        stack.proc.send_signal(signal.SIGINT)
        stack.proc.wait(timeout=60)
    finally:
        if not children and stack.proc.poll() is None:  # never came up: its children so far
            children = descendants(stack.proc.pid)
        kill_stack(stack)
        for pid in children:
            with suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        with suppress(Exception):  # what it recorded and outlived it (own sessions)
            stop_leftovers(stack.prefect_home / "stack.pids")
        if not stack.prefect_home.is_relative_to(stack.root):  # prefect_home_for's own dir
            shutil.rmtree(stack.prefect_home, ignore_errors=True)


def client_auth() -> str | None:
    """The auth string this process's careops sends (inside `running_stack()`: the stack's)."""
    from careops.secrets import prefect_auth
    from careops.settings import get_settings

    return prefect_auth(get_settings())


@contextmanager
def stack_with_auth_string(root: Path) -> Iterator[RunningStack]:
    """`running_stack(root, "--no-demo")` with a configured Prefect API auth string
    (tests.support.secrets.AUTH_SECRET), which this process's careops clients send too."""
    import pytest

    from careops.settings import get_settings
    from tests.support.secrets import AUTH_SECRET

    auth = {"CAREOPS_PREFECT__AUTH_STRING": AUTH_SECRET}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAREOPS_PREFECT__AUTH_STRING", AUTH_SECRET)
        get_settings.cache_clear()
        try:
            with running_stack(root, "--no-demo", env=auth) as up:
                yield up
        finally:
            get_settings.cache_clear()


def mails(mail_dir: Path) -> list[EmailMessage]:
    """The mails the stack's catcher stored (`RunningStack.mail_dir`), by file name."""
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(mail_dir.glob("*.eml"))]


def wait_for_mail(mail_dir: Path, wanted: Callable[[EmailMessage], object],
                  timeout: float = 90.0) -> EmailMessage:
    """The first mail in the catcher matching `wanted` (the relay may deliver it a bit later)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mails(mail_dir) if wanted(m)]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no such mail in {mail_dir} within {timeout:.0f} s")
