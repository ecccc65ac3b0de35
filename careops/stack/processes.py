"""Child processes of the stack: each in its own session, so a terminal Ctrl-C reaches only
`careops stack up`, which then stops them in order (worker first, server last)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from careops.errors import StackError


class Child:
    """A named child process in a new session (its own process group)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log_path: Path | None = None,
        user: int | None = None,
        group: int | None = None,
    ) -> None:
        """`user`/`group`: run as that account (a root stack's PostgreSQL)."""
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.cwd = cwd
        self.account = {} if user is None else {"user": user, "group": group, "extra_groups": []}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Child:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,
            **self.account,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the process group (and the sessions its descendants opened), wait, SIGKILL.

        Prefect's process worker starts every flow run in a session of its own, so signalling
        the worker's group alone would orphan the runs: their groups are collected first.
        """
        if self.process is None:
            return None
        stop_tree(self.pid, timeout, reap=self.process.poll)
        code = self.process.wait()
        if self._log is not None:
            self._log.close()
        return code

    def log_tail(self, lines: int = 12) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def stop_tree(leader: int, timeout: float, reap: Callable[[], object] = lambda: None) -> None:
    """SIGTERM the group of `leader` and the groups of its descendants; SIGKILL after timeout.

    `reap` collects the leader if it is our child (a zombie still counts as a group member).
    """
    groups = {leader, *(_pgid(pid) for pid in descendants(leader))} - {None, 0}
    _signal_groups(groups, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap()
        if not any(_group_alive(g) for g in groups):
            return
        time.sleep(0.1)
    _signal_groups({g for g in groups if _group_alive(g)}, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """All live descendants of `pid` (from `ps`, which Linux and macOS both have)."""
    out = subprocess.run(
        ["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, check=False
    ).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_groups(groups: set[int], sig: signal.Signals) -> None:
    own = os.getpgrp()
    for pgid in groups:
        if pgid != own:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)


PORT_RANGE_VARIABLE = "CAREOPS_FREE_PORTS"  # e.g. "21000-22499"
_next_in_range: dict[tuple[int, int], int] = {}


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (for side-by-side stacks, tests and benchmarks).

    Any port the system gives (an ephemeral one), unless `CAREOPS_FREE_PORTS` names a range
    ("21000-22499"): then the next free port of that range, in turn. Several test processes
    starting stacks at once each get a range of their own, below the ephemeral ports: a port one
    of them picked can then never be picked, or taken as a client's port, by another before its
    stack binds it."""
    span = os.environ.get(PORT_RANGE_VARIABLE, "").strip()
    if span:
        low, _, high = span.partition("-")
        first, last = int(low), int(high)
        start = _next_in_range.get((first, last), first)
        for offset in range(last - first + 1):
            port = first + (start - first + offset) % (last - first + 1)
            with socket.socket() as sock:
                try:
                    sock.bind((host, port))
                except OSError:
                    continue
            _next_in_range[(first, last)] = port + 1 if port < last else first
            return port
        raise StackError(f"no free port in {PORT_RANGE_VARIABLE}={span}")
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Fail with a clear message when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            hint = ""
            if http_ok(f"http://{host}:{port}/api/health"):
                hint = " (a Prefect server answers there: another `careops stack up`?)"
            raise StackError(
                f"{what} cannot listen on {host}:{port}: the port is taken{hint} [{exc}]"
            ) from exc


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException):
        # HTTPException: something that is not an HTTP server answers (e.g. an SMTP server's
        # "220 ..." greeting is a BadStatusLine), so no healthy HTTP server is there
        return False


def wait_healthy(url: str, child: Child, timeout: float) -> None:
    """Poll `url` until it answers 2xx; fail early if `child` exits, late after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = child.poll()
        if code is not None:
            raise StackError(
                f"{child.name} exited with code {code} before {url} answered; "
                f"last lines of {child.log_path}:\n{child.log_tail()}"
            )
        if http_ok(url):
            return
        time.sleep(0.25)
    raise StackError(f"{child.name} did not answer {url} within {timeout:.0f} s")


def record_children(pid_file: Path, children: Sequence[Child]) -> None:
    """Write the children's pids, so a stack started after this one was SIGKILLed can stop them
    (they live in their own sessions and would otherwise outlive it)."""
    lines = [f"{os.getpid()} careops stack\n"]
    lines += [f"{c.pid} {c.name}\n" for c in children if c.process is not None]
    pid_file.write_text("".join(lines), encoding="utf-8")


def stop_leftovers(pid_file: Path, timeout: float = 10.0) -> list[str]:
    """Stop the children an earlier stack recorded that still run; their names."""
    if not pid_file.exists():
        return []
    lines = pid_file.read_text(encoding="utf-8").splitlines()
    owner = lines[0].partition(" ")[0] if lines else ""
    if owner.isdigit() and int(owner) != os.getpid() and _command_has(int(owner), "careops"):
        raise StackError(
            f"another careops stack (pid {owner}) runs with this Prefect home ({pid_file.parent})"
        )
    stopped = []
    for line in lines[1:]:
        pid_text, _, name = line.partition(" ")
        if not pid_text.isdigit() or not (
            _command_has(int(pid_text), "prefect") or _command_has(int(pid_text), "careops")
        ):
            continue
        stop_tree(int(pid_text), timeout)
        stopped.append(f"{name} (pid {pid_text})")
    pid_file.unlink()
    return stopped


def _command_has(pid: int, word: str) -> bool:
    """Whether process `pid` lives and its command line contains `word` (pids get reused)."""
    args = subprocess.run(
        ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return word in args


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT stop the stack (KeyboardInterrupt) while it runs.

    SIGINT is installed explicitly too: a shell starting the stack in the background without
    job control makes Python inherit SIGINT as ignored, and Ctrl-C / kill -INT would do nothing.
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """SIGINT and SIGTERM ignored while the stack stops (a second Ctrl-C cannot cut it short)."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
