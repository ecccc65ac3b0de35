"""`careops stack up`: database, SMTP catcher, Prefect server, deployments, scheduler check,
worker, outbox relay — then wait.

Every child runs in its own session, so Ctrl-C reaches only this process, which stops them in
order: the relay and the worker, then (after marking the runs the worker abandoned Crashed) the
server, then the catcher. SIGTERM does the same. A child that dies on its own stops the rest;
exit code 1. Errors the server's services log while the stack runs are shown on the console.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from careops.clock import local_today
from careops.db import migrate
from careops.db.engine import get_engine
from careops.db.faults import masked_url
from careops.db.uow import UnitOfWork
from careops.demo import seed_demo
from careops.stack import (
    automations,
    deploy_cache,
    embedded_pg,
    first_runs,
    prefect_db,
    prefect_setup,
)
from careops.stack.config import StackConfig
from careops.stack.processes import (
    Child,
    ensure_port_free,
    free_port,
    record_children,
    signals_ignored,
    stop_leftovers,
    stop_signals_interrupt,
    wait_healthy,
)
from careops.stack.scheduler_check import (
    LogWatch,
    service_errors,
    summary,
    wait_for_schedules,
)
from careops.stack.workers import Workers

SERVER_START_TIMEOUT = 90.0
PG_START_TIMEOUT = 60.0
SCHEDULER_TIMEOUT = 60.0  # the server schedules a new deployment within seconds (5 s loop)
LOG_CHECK_SECONDS = 15.0
STOP_TIMEOUT = 10.0
# The Prefect server on PostgreSQL: seconds to connect, and per statement (see _on_postgres).
PG_TIMEOUTS = {"PREFECT_SERVER_DATABASE_CONNECTION_TIMEOUT": "30",
               "PREFECT_SERVER_DATABASE_TIMEOUT": "60"}


class Stack:
    def __init__(self, config: StackConfig, console: Console) -> None:
        self.config = config
        self.console = console
        self.env = config.child_env()
        self.server: Child | None = None
        self.postgres: Child | None = None  # the server's own database (embedded_pg)
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
        # Prefect's client takes seconds to import on a loaded machine: while the server starts
        threading.Thread(target=_import_prefect_client, daemon=True).start()
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
        record_children(self.pid_file, self._children())
        # the web app, Prefect's database and its server start side by side
        server_env = self._prefect_database()
        t_server = time.monotonic()
        self.server_log = LogWatch.from_end(cfg.prefect_home / "server.log")
        self.server = Child(
            "prefect server",
            _prefect_server(cfg.host, cfg.port),
            env=server_env | {"PREFECT__SERVER_FINAL": "1"},
            cwd=cfg.root,
            log_path=cfg.prefect_home / "server.log",
        ).start()
        record_children(self.pid_file, self._children())
        wait_healthy(f"http://{cfg.web_host}:{cfg.web_port}/healthz", self.web, 30.0)
        self._step(f"web app http://{cfg.web_host}:{cfg.web_port} (log {self.web.log_path})", t)
        with self.console.status("starting the Prefect server…"):
            wait_healthy(f"{cfg.api_url}/health", self.server, SERVER_START_TIMEOUT)
        self.server_ready = True
        self._step(f"Prefect server {cfg.ui_url} (log {self.server.log_path})", t_server)

        t = time.monotonic()
        if prefect_setup.ensure_work_pool(cfg):
            self.console.print(f"  created work pool {cfg.work_pool!r} (process)")
        if stale := prefect_setup.crash_active_runs(cfg, "careops stack was not stopped cleanly"):
            self.console.print(f"  marked {stale} run(s) left by an earlier stack Crashed")
        scheduled = deploy_cache.deploy_changed(self.config, self.env, self.console)
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
            first_runs.catch_up(self.config, self.console)
            if seeded:
                first_runs.first_plan(self.config, self.console)
                first_runs.survey_demo(self.config, self.console)

        self.console.print(
            f"\n[bold green]careops stack is up[/] in {time.monotonic() - t0:.1f} s\n"
            f"  Prefect UI   {cfg.ui_url}\n"
            f"  UI login     {self._login()}\n"
            f"  secrets      {cfg.secrets_dir}  (web signing key, Prefect auth string)\n"
            f"  web app      http://{cfg.web_host}:{cfg.web_port}  (mail links: {cfg.web_url})\n"
            f"  mail         {cfg.mail_dir}  (SMTP {cfg.catcher_host}:{cfg.catcher_port})\n"
            f"  database     {masked_url(cfg.database_url)}\n"
            f"  logs         {cfg.prefect_home}\n"
            "Press Ctrl-C to stop.",
            highlight=False, soft_wrap=True,
        )

    def _login(self) -> str:
        """Where the Prefect UI's login is: a path, never the value."""
        if self.config.auth_file is not None:
            return f"the whole line in {self.config.auth_file} (user:password)"
        return "the configured API auth string (prefect.auth_string)"

    def _prefect_database(self) -> dict[str, str]:
        """The server's environment, with its database: a named PostgreSQL, the stack's own
        (embedded_pg: started here), or Prefect's SQLite under prefect_home."""
        cfg = self.config
        t = time.monotonic()
        if cfg.prefect_database_url is not None:
            created = prefect_db.ensure_database(cfg.prefect_database_url, cfg.database_url)
            self._step(f"Prefect database {'created' if created else 'found'}: "
                       f"{masked_url(cfg.prefect_database_url)}", t)
            return self._on_postgres(cfg.prefect_database_url)
        if not cfg.embedded_postgres:
            return self.env
        bin_dir = embedded_pg.find_bin_dir()
        if bin_dir is None:
            self.console.print(
                "[yellow]![/] no PostgreSQL >= 14 (initdb, postgres) found: the Prefect server "
                "runs on SQLite, which fails under bursts of runs (apt-get install postgresql)"
            )
            return self.env
        pg = embedded_pg.EmbeddedPostgres(cfg.prefect_home, bin_dir, free_port())
        created = pg.initialise()
        self.postgres = pg.child().start()
        record_children(self.pid_file, self._children())
        pg.wait_ready(self.postgres, PG_START_TIMEOUT)
        prefect_db.ensure_database(pg.url(), pg.url("postgres"))
        self._step(f"Prefect database: PostgreSQL {'created' if created else 'started'} in "
                   f"{pg.data_dir} (127.0.0.1:{pg.port}, log {pg.log_path})", t)
        return self._on_postgres(pg.url())

    def _on_postgres(self, url: str) -> dict[str, str]:
        """The server's environment on PostgreSQL. Prefect's defaults (5 s to connect, 10 s per
        statement) make its background services log an ERROR when a loaded machine is slow to
        hand over a connection (seen in CI: monitor_cancelled_flow_runs failing after 5.8 s);
        a slow answer is not an error here, so the stack allows more unless the operator set them.
        """
        env = self.env | {"PREFECT_API_DATABASE_CONNECTION_URL": url}
        for name, seconds in PG_TIMEOUTS.items():
            env.setdefault(name, seconds)
        return env

    def _show_server_errors(self, errors: list[str]) -> None:
        """One line per error, never a traceback: the whole record is in the server log."""
        for error in errors:
            self.console.print(
                f"[bold red]✗ the Prefect server logged an error[/] "
                f"({self.server_log.path if self.server_log else 'server.log'}): "
                f"{summary(error)}",
                highlight=False, soft_wrap=True,
            )

    def _children(self) -> list[Child]:
        fixed = [c for c in (self.web, self.postgres, self.server, self.relay) if c is not None]
        return fixed + (self.workers.children if self.workers else [])

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
        if self.postgres is not None:
            code = self.postgres.stop(STOP_TIMEOUT)
            self.console.print(f"  Prefect's PostgreSQL stopped (exit {code})")
        if self.web is not None:
            code = self.web.stop(STOP_TIMEOUT)
            self.console.print(f"  web app stopped (exit {code})")
        if self.catcher is not None:
            self.catcher.stop()
            self.console.print("  SMTP catcher stopped")
        self.pid_file.unlink(missing_ok=True)


def _import_prefect_client() -> None:
    import prefect.client.orchestration  # noqa: F401
    import prefect.client.schemas.filters  # noqa: F401


def _prefect_server(host: str, port: int) -> list[str]:
    """What `prefect server start --background` runs (prefect/cli/_server_utils.py), kept in
    the foreground: uvicorn with Prefect's app factory (PREFECT__SERVER_FINAL=1 in its
    environment), at the server's default log level and keep-alive. It skips importing Prefect's
    command line, a second or two of every start."""
    return [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
            "--host", host, "--port", str(port), "--log-level", "warning",
            "--timeout-keep-alive", "5"]


def run_stack(config: StackConfig, console: Console) -> int:
    """Bring the stack up and keep it up; 0 after Ctrl-C/SIGTERM, 1 if a child died.

    A failure while starting (StackError and other CareopsErrors) propagates after cleanup.
    """
    stack = Stack(config, console)
    try:
        with stop_signals_interrupt():
            stack.up()
            code = stack.wait()
    except KeyboardInterrupt:
        console.print("\nstopping the careops stack…")
        code = 0
    finally:
        with signals_ignored():
            stack.down()
    console.print("careops stack stopped" if code == 0 else "careops stack stopped after a failure")
    return code
