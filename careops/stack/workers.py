"""The stack's process workers: `careops-worker-1` … `careops-worker-N` on the careops pool.

A worker's name is the `prefect.worker.name` label Prefect 3.8 puts on every run it takes, so
the UI (and the scale-out test) show which worker ran what. A worker killed outright is started
again; a restarted worker that dies again within RESTART_GRACE seconds stops the stack (a
worker that cannot run is a fault to see, not to loop on). The runs a dead worker held are
marked Crashed by the heartbeat automation (careops/stack/automations.py), or by the worker
itself when only their processes died.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console

from careops.stack.config import StackConfig
from careops.stack.processes import Child

WORKER_PREFIX = "careops-worker-"
RESTART_GRACE = 10.0


class Workers:
    def __init__(self, config: StackConfig, env: dict[str, str]) -> None:
        self.config = config
        self.env = env
        self.children: list[Child] = []
        self._started: list[float] = []
        self._restarted: list[bool] = []

    def start(self) -> None:
        for number in range(1, self.config.workers + 1):
            self.children.append(self._start(number))
            self._started.append(time.monotonic())
            self._restarted.append(False)

    def _start(self, number: int) -> Child:
        """The first logs to worker.log, the others to worker-N.log."""
        cfg = self.config
        log = "worker.log" if number == 1 else f"worker-{number}.log"
        limit = ["--limit", str(cfg.worker_limit)] if cfg.worker_limit else []
        argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", cfg.work_pool]
        argv += ["--type", "process", "--name", f"{WORKER_PREFIX}{number}", *limit]
        return Child(
            f"prefect worker {number}",
            argv,
            env=self.env,
            cwd=cfg.root,
            log_path=cfg.prefect_home / log,
        ).start()

    def restart_dead(self, console: Console, stop_timeout: float) -> bool:
        """Start again every dead worker, unless it was a restart that died within the grace
        (the stack's wait loop then stops the stack); True when one was started again."""
        restarted = False
        for index, child in enumerate(self.children):
            code = child.poll()
            quick = time.monotonic() - self._started[index] < RESTART_GRACE
            if code is None or (quick and self._restarted[index]):
                continue
            console.print(
                f"[yellow]![/] {child.name} exited (code {code}); starting it again",
                highlight=False,
            )
            child.stop(stop_timeout)
            self.children[index] = self._start(index + 1)
            self._started[index] = time.monotonic()
            self._restarted[index] = True
            restarted = True
        return restarted

    def stop(self, console: Console, stop_timeout: float) -> None:
        for child in self.children:
            code = child.stop(stop_timeout)
            console.print(f"  {child.name} stopped (exit {code})")
