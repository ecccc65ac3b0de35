"""What the embedded stack runs and where: resolved once from the settings and the CLI options."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from careops.db.engine import normalise_url
from careops.errors import StackError
from careops.settings import PROJECT_ROOT, Settings, is_loopback

DEFAULT_BASE_URL = "http://127.0.0.1:4200"
# Inherited Prefect variables that would point the stack's children at another server or profile
# (a stray PREFECT_API_KEY makes Prefect's clients send a bearer token: 401 on an auth server).
_FOREIGN_PREFECT_VARS = (
    "PREFECT_PROFILE", "PREFECT_API_KEY", "PREFECT_API_AUTH_STRING",
    "PREFECT_SERVER_API_AUTH_STRING",
)
_WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]")  # noqa: S104 - recognised, not bound, here


@dataclass(frozen=True)
class StackConfig:
    root: Path  # holds prefect.yaml and flows/ (CAREOPS_HOME, default: the repository)
    host: str
    port: int
    prefect_home: Path
    work_pool: str
    catcher_host: str
    catcher_port: int
    mail_dir: Path
    database_url: str = field(repr=False)  # may hold a password: never in a repr
    smtp_host: str
    smtp_port: int
    base_url: str
    timezone: str
    web_host: str = "127.0.0.1"
    web_port: int = 8400
    web_url: str = "http://127.0.0.1:8400"  # links in mails
    demo: bool = True
    worker: bool = True
    workers: int = 1  # process workers on the pool when `worker` is on
    worker_limit: int = 6  # runs at once per worker; 0: no limit (settings.prefect)
    # PREFECT_API_DATABASE_CONNECTION_URL of the server (None: SQLite under prefect_home);
    # may hold a password: only in the server's environment, never in a repr or output
    prefect_database_url: str | None = field(default=None, repr=False)
    # no prefect_database_url: start a PostgreSQL for the server under prefect_home (else SQLite)
    embedded_postgres: bool = False
    auth_string: SecretStr | None = field(default=None, repr=False)  # the Prefect API's
    # where the generated secrets are (careops.secrets); the children read them from there
    secrets_dir: Path | None = None
    auth_file: Path | None = None  # the generated auth string's file (None: configured)

    @property
    def connect_host(self) -> str:
        """Where this machine's clients reach the server (a wildcard bind: via loopback)."""
        return "127.0.0.1" if self.host in _WILDCARD_HOSTS else self.host

    @property
    def api_url(self) -> str:
        return f"http://{self.connect_host}:{self.port}/api"

    @property
    def ui_api_url(self) -> str:
        """The API address the UI in a browser calls: beyond loopback, the one people open."""
        if is_loopback(self.host):
            return self.api_url
        return f"{self.base_url.rstrip('/')}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.connect_host}:{self.port}"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        smtp_port: int | None = None,
        web_port: int | None = None,
        demo: bool = True,
        worker: bool = True,
        workers: int | None = None,
        postgres: str | None = None,
        prefect_database: str | None = None,
        generate_secrets: bool = False,
        embedded_postgres: bool | None = None,
    ) -> StackConfig:
        """`port` moves the Prefect UI/API; `smtp_port` moves the catcher AND careops's SMTP;
        `web_port` moves the web app (and its links, unless web.public_url is set); `host` is
        the Prefect server's address (beyond loopback only with an API auth string).
        `postgres` replaces the careops database URL (the Prefect server follows it onto
        PostgreSQL, see stack/prefect_db.py); `prefect_database` names the server's own;
        `embedded_postgres` (default: settings) starts one for it when it would be SQLite.

        `generate_secrets` (`stack up`): the web signing key and the Prefect API auth string
        that are not configured are generated in `secrets_dir` on the first start and reused
        (careops.secrets), so the server always requires an auth string; without it (`stack
        status`) the stored one is read, if any.

        StackError before anything starts: the SMTP catcher beyond loopback, a bad --postgres
        URL or --workers count, the server beyond loopback without an auth string;
        SecretProblem for a web key that ships in the source or is too short.
        """
        from careops import secrets
        from careops.stack.prefect_db import prefect_database_url

        server_host = host if host is not None else settings.prefect.host
        found = secrets.prefect_auth(settings)
        auth = SecretStr(found) if found else None
        check_exposure(server_host, settings.catcher.host, auth, generated=generate_secrets)
        if postgres is not None and not postgres.startswith(("postgresql", "postgres:")):
            raise StackError("--postgres takes a postgresql://USER@HOST:PORT/DATABASE URL")
        if workers is not None and workers < 1:
            raise StackError(f"--workers must be 1 or more (got {workers})")
        auth_file = None
        if generate_secrets:  # after every check: a refused start leaves no file behind
            made = secrets.ensure_stack_secrets(settings)
            auth, auth_file = made.auth_string, made.auth_file
        database_url = normalise_url(postgres or settings.database_url)

        prefect_url = prefect_database_url(
            database_url, prefect_database or settings.prefect.database_url)
        root = Path(os.environ.get("CAREOPS_HOME") or PROJECT_ROOT).resolve()
        if not (root / "prefect.yaml").is_file():
            raise StackError(f"CAREOPS_HOME={root} has no prefect.yaml")
        ui_port = port if port is not None else settings.prefect.port
        base_url = settings.base_url
        if base_url == DEFAULT_BASE_URL and (
            ui_port != settings.prefect.port or server_host != settings.prefect.host
        ):
            shown = "127.0.0.1" if server_host in _WILDCARD_HOSTS else server_host
            base_url = f"http://{shown}:{ui_port}"
        return cls(
            root=root,
            host=server_host,
            port=ui_port,
            prefect_home=settings.path(settings.prefect.home).resolve(),
            work_pool=settings.prefect.work_pool,
            catcher_host=settings.catcher.host,
            catcher_port=smtp_port if smtp_port is not None else settings.catcher.port,
            mail_dir=settings.path(settings.catcher.mail_dir).resolve(),
            database_url=database_url,
            smtp_host=settings.catcher.host if smtp_port is not None else settings.smtp.host,
            smtp_port=smtp_port if smtp_port is not None else settings.smtp.port,
            base_url=base_url,
            timezone=settings.timezone,
            web_host=settings.web.host,
            web_port=web_port if web_port is not None else settings.web.port,
            web_url=settings.web.public_url.rstrip("/") or (
                f"http://{settings.web.host}:"
                f"{web_port if web_port is not None else settings.web.port}"),
            demo=demo,
            worker=worker,
            auth_string=auth,
            secrets_dir=secrets.secrets_dir(settings).resolve(),
            auth_file=auth_file,
            workers=settings.prefect.workers if workers is None else workers,
            worker_limit=settings.prefect.worker_limit,
            prefect_database_url=prefect_url,
            embedded_postgres=prefect_url is None and (
                settings.prefect.embedded_postgres if embedded_postgres is None
                else embedded_postgres),
        )

    @property
    def mail_goes_to_catcher(self) -> bool:
        return (self.smtp_host, self.smtp_port) == (self.catcher_host, self.catcher_port)

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment of the server, the deploy and the worker (flow runs inherit it).

        PREFECT_HOME under var/ keeps the server's SQLite database and profiles self-contained;
        the worker polls every second so an ad-hoc run starts within a couple of seconds.
        """
        env = dict(os.environ if base is None else base)
        for name in _FOREIGN_PREFECT_VARS:
            env.pop(name, None)
        env.update(
            PREFECT_HOME=str(self.prefect_home),
            PREFECT_API_URL=self.api_url,
            PREFECT_UI_API_URL=self.ui_api_url,
            PREFECT_SERVER_UI_API_URL=self.ui_api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_WORKER_QUERY_SECONDS="1",
            PREFECT_WORKER_PREFETCH_SECONDS="2",
            CAREOPS_HOME=str(self.root),
            CAREOPS_DATABASE_URL=self.database_url,
            CAREOPS_SMTP__HOST=self.smtp_host,
            CAREOPS_SMTP__PORT=str(self.smtp_port),
            CAREOPS_CATCHER__HOST=self.catcher_host,
            CAREOPS_CATCHER__PORT=str(self.catcher_port),
            CAREOPS_CATCHER__MAIL_DIR=str(self.mail_dir),
            CAREOPS_BASE_URL=self.base_url,
            CAREOPS_WEB__HOST=self.web_host,
            CAREOPS_WEB__PORT=str(self.web_port),
            CAREOPS_WEB__PUBLIC_URL=self.web_url,
            PYTHONUNBUFFERED="1",
        )
        if self.secrets_dir is not None:  # the web key is read from there (never in the env)
            env["CAREOPS_SECRETS_DIR"] = str(self.secrets_dir)
        if self.auth_string is not None:  # the server requires it, every client sends it
            secret = self.auth_string.get_secret_value()
            env.update(PREFECT_SERVER_API_AUTH_STRING=secret, PREFECT_API_AUTH_STRING=secret)
        return env


def check_exposure(server_host: str, catcher_host: str, auth_string: SecretStr | None,
                   *, generated: bool = False) -> None:
    """Refuse a Prefect server beyond loopback without an auth string (configured, or
    `generated` by `stack up`), and any SMTP catcher beyond loopback (it accepts mail from
    anyone and keeps it on disk)."""
    if not is_loopback(catcher_host):
        raise StackError(
            f"catcher.host {catcher_host!r} is not a loopback address: the SMTP catcher listens "
            "on loopback only (127.0.0.1)"
        )
    if not is_loopback(server_host) and auth_string is None and not generated:
        raise StackError(
            f"the Prefect server would listen on {server_host!r} (beyond loopback) without an "
            "API auth string: set CAREOPS_PREFECT__AUTH_STRING=user:password, or bind 127.0.0.1"
        )
