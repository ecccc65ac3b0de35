"""`careops stack up`: database, SMTP catcher, Prefect server, deployments, scheduler check,
worker, outbox relay — then wait.

Every child runs in its own session, so Ctrl-C reaches only this process, which stops them in
order: the relay and the worker, then (after marking the runs the worker abandoned Crashed) the
server, then the catcher. SIGTERM does the same. A child that dies on its own stops the rest;
exit code 1. Errors the server's services log while the stack runs are shown on the console.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from careops.clock import local_today, utcnow
from careops.db import migrate
from careops.db.engine import get_engine
from careops.db.faults import masked_url
from careops.db.uow import UnitOfWork
from careops.demo import seed_demo
from careops.stack import automations, prefect_db, prefect_setup
from careops.stack.config import StackConfig, StackError
from careops.stack.processes import (
    Child,
    ensure_port_free,
    record_children,
    stop_leftovers,
    wait_healthy,
)
from careops.stack.scheduler_check import LogWatch, service_errors, wait_for_schedules
from careops.stack.workers import Workers

SERVER_START_TIMEOUT = 90.0
SCHEDULER_TIMEOUT = 60.0  # the server schedules a new deployment within seconds (5 s loop)
LOG_CHECK_SECONDS = 15.0
STOP_TIMEOUT = 10.0


class Stack:
    def __init__(self, config: StackConfig, console: Console) -> None:
        self.config = config
        self.console = console
        self.env = config.child_env()
        self.server: Child | None = None
        self.workers: Workers | None = None
        self.relay: Child | None = None
        self.server_log: LogWatch | None = None
        self.web: Child | None = None
        self.catcher: Any = None
        self.server_ready = False
        self.pid_file = config.prefect_home / "stack.pids"

    def _step(self, text: str, started: float) -> None:
        self.console.print(f"[green]✓[/] {text} [dim]({time.monotonic() - started:.1f} s)[/]")

    def up(self) -> None:
        cfg, t0 = self.config, time.monotonic()
        cfg.prefect_home.mkdir(parents=True, exist_ok=True)
        for leftover in stop_leftovers(self.pid_file):
            self.console.print(f"[yellow]![/] stopped {leftover} left by a killed stack")
        ensure_port_free(cfg.host, cfg.port, "The Prefect server")
        ensure_port_free(cfg.catcher_host, cfg.catcher_port, "The SMTP catcher")
        ensure_port_free(cfg.web_host, cfg.web_port, "The careops web app")

        t = time.monotonic()
        migrate.upgrade(cfg.database_url)
        self._step(f"database migrated: {masked_url(cfg.database_url)}", t)
        seeded = False
        if cfg.demo:
            t = time.monotonic()
            today = local_today(ZoneInfo(cfg.timezone))
            # seed_demo writes nothing (and returns None) when the database holds data already
            summary = seed_demo(UnitOfWork(get_engine(cfg.database_url)), today=today)
            seeded = summary is not None
            if seeded:
                self._step(f"demo data seeded: {summary}", t)

        t = time.monotonic()
        from careops.mail.catcher import run_catcher

        cfg.mail_dir.mkdir(parents=True, exist_ok=True)
        self.catcher = run_catcher(cfg.catcher_host, cfg.catcher_port, cfg.mail_dir)
        self._step(f"SMTP catcher on {cfg.catcher_host}:{cfg.catcher_port} → {cfg.mail_dir}", t)
        if not cfg.mail_goes_to_catcher:
            self.console.print(
                f"[yellow]![/] careops mails via {cfg.smtp_host}:{cfg.smtp_port}, not the catcher"
            )

        t = time.monotonic()
        self.web = Child(
            "careops web",
            [sys.executable, "-m", "uvicorn", "careops.web.app:create_app", "--factory",
             "--host", cfg.web_host, "--port", str(cfg.web_port), "--no-access-log"],
            env=self.env,
            cwd=cfg.root,
            log_path=cfg.prefect_home / "web.log",
        ).start()
        record_children(self.pid_file, [self.web])
        wait_healthy(f"http://{cfg.web_host}:{cfg.web_port}/healthz", self.web, 30.0)
        self._step(f"web app http://{cfg.web_host}:{cfg.web_port} (log {self.web.log_path})", t)

        server_env = self.env
        if cfg.prefect_database_url is not None:
            t = time.monotonic()
            created = prefect_db.ensure_database(cfg.prefect_database_url, cfg.database_url)
            server_env = self.env | {
                "PREFECT_API_DATABASE_CONNECTION_URL": cfg.prefect_database_url}
            self._step(f"Prefect database {'created' if created else 'found'}: "
                       f"{masked_url(cfg.prefect_database_url)}", t)
        t = time.monotonic()
        self.server_log = LogWatch.from_end(cfg.prefect_home / "server.log")
        self.server = Child(
            "prefect server",
            _prefect("server", "start", "--host", cfg.host, "--port", str(cfg.port)),
            env=server_env,
            cwd=cfg.root,
            log_path=cfg.prefect_home / "server.log",
        ).start()
        record_children(self.pid_file, [self.web, self.server])
        with self.console.status("starting the Prefect server…"):
            wait_healthy(f"{cfg.api_url}/health", self.server, SERVER_START_TIMEOUT)
        self.server_ready = True
        self._step(f"Prefect server {cfg.ui_url} (log {self.server.log_path})", t)

        t = time.monotonic()
        if prefect_setup.ensure_work_pool(cfg):
            self.console.print(f"  created work pool {cfg.work_pool!r} (process)")
        if stale := prefect_setup.crash_active_runs(cfg, "careops stack was not stopped cleanly"):
            self.console.print(f"  marked {stale} run(s) left by an earlier stack Crashed")
        scheduled = self._deploy()
        self._step("deployments of prefect.yaml deployed", t)
        t = time.monotonic()
        created = automations.ensure_automations(cfg)
        self._step(f"automations: a run without heartbeats for "
                   f"{automations.HEARTBEAT_SECONDS * automations.MISSED_BEATS} s is Crashed, "
                   f"a crashed scheduled run is retried once{' (created)' if created else ''}", t)
        t = time.monotonic()
        with self.console.status("waiting for the server's scheduler…"):
            counts = wait_for_schedules(cfg, scheduled, self.server_log, SCHEDULER_TIMEOUT)
        self._step(
            f"scheduler works: upcoming runs for all {len(counts)} scheduled deployment(s)", t
        )
        self._show_server_errors(service_errors(self.server_log.seen))

        t = time.monotonic()
        self.relay = Child(
            "outbox relay",
            [sys.executable, "-m", "careops.mail.relay"],
            env=self.env,
            cwd=cfg.root,
            log_path=cfg.prefect_home / "relay.log",
        ).start()
        record_children(self.pid_file, self._children())
        self._step(f"outbox relay delivering due mail (log {self.relay.log_path})", t)

        if cfg.worker:
            t = time.monotonic()
            self.workers = Workers(cfg, self.env)
            self.workers.start()
            record_children(self.pid_file, self._children())
            logs = ", ".join(str(w.log_path) for w in self.workers.children)
            self._step(f"{cfg.workers} worker(s) polling pool {cfg.work_pool!r} (log {logs})", t)
            self._catch_up()
            if seeded:
                self._first_plan()
                self._survey_demo()

        self.console.print(
            f"\n[bold green]careops stack is up[/] in {time.monotonic() - t0:.1f} s\n"
            f"  Prefect UI   {cfg.ui_url}\n"
            f"  web app      http://{cfg.web_host}:{cfg.web_port}  (mail links: {cfg.web_url})\n"
            f"  mail         {cfg.mail_dir}  (SMTP {cfg.catcher_host}:{cfg.catcher_port})\n"
            f"  database     {masked_url(cfg.database_url)}\n"
            f"  logs         {cfg.prefect_home}\n"
            "Press Ctrl-C to stop.",
            highlight=False,
        )

    def _catch_up(self) -> None:
        """fault-watch and case-deadlines runs in a minute: chases and case notices that fell due
        while the stack was down go out.

        Scheduled like every wakeup (careops/wakeups.py), so the first scheduled run of a fresh
        stack completes in the UI within two minutes of the start.
        """
        from careops.clock import utcnow
        from careops.wakeups import schedule_wakeup

        now = utcnow()
        # a minute apart: two flow runs starting together on a fresh SQLite server contend
        for minutes, deployment in ((1, "fault-watch/fault-watch"),
                                    (2, "case-deadlines/case-deadlines")):
            if schedule_wakeup(deployment, now + timedelta(minutes=minutes), now,
                               reason="catch up after the stack started",
                               api=self.config.api_url):
                name = deployment.split("/")[0]
                self.console.print(f"  {name} catch-up run scheduled in {minutes} minute(s)")

    def _first_plan(self) -> None:
        """On fresh demo data, run the main job once so there is something to look at."""
        month = local_today(ZoneInfo(self.config.timezone)).strftime("%Y-%m")
        url = prefect_setup.start_run(
            self.config, "plan-callbacks/plan-callbacks", {"params": {"month": month}}
        )
        self.console.print(
            f"  started plan-callbacks for {month} on the demo data: {url}\n"
            f"  (the call lists arrive in {self.config.mail_dir} in a few seconds)",
            highlight=False,
        )

    def _survey_demo(self) -> None:
        """On fresh demo data: this year's survey campaign, and one customer's page to open."""
        from careops.services.survey_campaign import demo_survey_link
        from careops.services.survey_links import SurveyLinks
        from careops.settings import get_settings

        settings = get_settings()
        links = SurveyLinks(settings.web.secret_key.get_secret_value(), self.config.web_url,
                            settings.survey.link_valid_days)
        found = demo_survey_link(UnitOfWork(get_engine(self.config.database_url)),
                                 local_today(ZoneInfo(self.config.timezone)), settings.survey,
                                 links, utcnow())
        if found:
            self.console.print(f"  survey page of demo customer {found[0]}: {found[1]}",
                               highlight=False, soft_wrap=True)

    def _show_server_errors(self, errors: list[str]) -> None:
        for error in errors:
            self.console.print(
                f"[bold red]✗ the Prefect server logged an error[/] "
                f"({self.server_log.path if self.server_log else 'server.log'}):\n{error}",
                highlight=False,
            )

    def _children(self) -> list[Child]:
        fixed = [c for c in (self.web, self.server, self.relay) if c is not None]
        return fixed + (self.workers.children if self.workers else [])

    def _deploy(self) -> list[str]:
        """Deploy prefect.yaml; the names of the deployments that have schedules."""
        cfg = self.config
        planned = prefect_setup.planned_deployments(cfg.root)
        missing = [p for p in planned if not p.module_exists(cfg.root)]
        for item in missing:
            self.console.print(
                f"[yellow]![/] not deployed: {item.name} ({item.entrypoint} missing)"
            )
        ready = [p for p in planned if p not in missing]
        with self.console.status(f"deploying {len(ready)} deployment(s)…"):
            prefect_setup.deploy(cfg, [p.name for p in ready], self.env)
        deployed = prefect_setup.deployed_schedules(cfg)
        prefect_setup.check_schedules(ready, deployed)
        for item in ready:
            if item.name not in deployed:
                raise StackError(f"deployment {item.name!r} is not on the server after deploy")
            when = ", ".join(f"{c} ({tz})" for c, tz in deployed[item.name]) or "on demand"
            self.console.print(f"  {item.name:<22} {when}", highlight=False)
        now = utcnow()
        later = [i.name for i in ready if i.schedules and not i.fires_within(now)]
        if later:
            self.console.print(f"  (next run beyond the scheduler's horizon, not waited for: "
                               f"{', '.join(later)})", highlight=False)
        return [item.name for item in ready if item.schedules and item.name not in later]

    def wait(self) -> int:
        """Block until a signal (KeyboardInterrupt) or until a child exits on its own (→ 1)."""
        next_log_check = time.monotonic() + LOG_CHECK_SECONDS
        while True:
            if self.server_log is not None and time.monotonic() > next_log_check:
                next_log_check = time.monotonic() + LOG_CHECK_SECONDS
                self._show_server_errors(service_errors(self.server_log.new_text()))
            if self.workers and self.workers.restart_dead(self.console, STOP_TIMEOUT):
                record_children(self.pid_file, self._children())
            for child in self._children():
                code = child.poll()
                if code is not None:
                    self.console.print(
                        f"[red]✗ {child.name} exited unexpectedly (code {code})[/]; "
                        f"last lines of {child.log_path}:\n{child.log_tail()}",
                        highlight=False,
                    )
                    return 1
            time.sleep(0.5)

    def down(self) -> None:
        """Stop whatever was started, relay and worker first; safe after a partial `up`."""
        if self.relay is not None:
            code = self.relay.stop(STOP_TIMEOUT)
            self.console.print(f"  outbox relay stopped (exit {code})")
        if self.workers is not None:
            self.workers.stop(self.console, STOP_TIMEOUT)
            if self.server_ready and self.server is not None and self.server.poll() is None:
                try:
                    crashed = prefect_setup.crash_active_runs(
                        self.config, "the careops stack stopped its worker during this run"
                    )
                except Exception as exc:  # noqa: BLE001 - shutting down: report, go on
                    self.console.print(f"[yellow]![/] could not mark abandoned runs: {exc}")
                else:
                    if crashed:
                        self.console.print(f"  marked {crashed} abandoned run(s) Crashed")
        if self.server is not None:
            code = self.server.stop(STOP_TIMEOUT)
            self.console.print(f"  Prefect server stopped (exit {code})")
        if self.web is not None:
            code = self.web.stop(STOP_TIMEOUT)
            self.console.print(f"  web app stopped (exit {code})")
        if self.catcher is not None:
            self.catcher.stop()
            self.console.print("  SMTP catcher stopped")
        self.pid_file.unlink(missing_ok=True)


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
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
def _signals_ignored() -> Iterator[None]:
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_stack(config: StackConfig, console: Console) -> int:
    """Bring the stack up and keep it up; 0 after Ctrl-C/SIGTERM, 1 if a child died.

    A failure while starting (StackError and other CareopsErrors) propagates after cleanup.
    """
    stack = Stack(config, console)
    try:
        with _stop_signals_interrupt():
            stack.up()
            code = stack.wait()
    except KeyboardInterrupt:
        console.print("\nstopping the careops stack…")
        code = 0
    finally:
        with _signals_ignored():
            stack.down()
    console.print("careops stack stopped" if code == 0 else "careops stack stopped after a failure")
    return code
