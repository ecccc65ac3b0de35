"""Settings: `config/careops.toml` (documented defaults) overridden by `CAREOPS_*` variables.

Read once through the cached `get_settings()`, never at import time. Nested sections are
overridden with a double underscore: `CAREOPS_SMTP__PORT=2525`.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from careops.addresses import Address, InvalidAddress, Mailbox, check_address
from careops.errors import CareopsError
from careops.process_settings import (
    CallbackSettings,
    CaseSettings,
    ChartSettings,
    FaultSettings,
    HolidayWatchSettings,
    SurveySettings,
    WebSettings,
    WeeklySettings,
    department_code,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "careops.toml"


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8025
    security: Literal["none", "starttls", "ssl"] = "none"
    ca_file: Path | None = None  # a CA bundle to trust besides the system's (company CA)
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 10.0
    pool_size: int = 4
    # true lets careops log in over plain TCP (security = "none"), honoured for a loopback host
    # only (a local relay); anywhere else the password would cross the network in clear
    allow_plain_auth: bool = False
    sender: Mailbox = "careops <careops@localhost>"
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    lease_seconds: float = 300.0
    relay_interval_seconds: float = 5.0  # the outbox relay's poll (careops.mail.relay)


    def plain_auth_problem(self) -> str | None:
        """Why logging in would send the password in clear (None: it would not)."""
        if not self.username or self.security != "none":
            return None
        if self.allow_plain_auth and is_loopback(self.host):
            return None
        allowed = (
            f"smtp.allow_plain_auth is honoured only for a loopback host, not {self.host!r}"
            if self.allow_plain_auth
            else "smtp.allow_plain_auth = true allows it for a loopback host only (a local relay)"
        )
        return (
            f"smtp.username is set but smtp.security is \"none\": careops will not send the "
            f"password to {self.host}:{self.port} in clear; use security = \"starttls\" or "
            f"\"ssl\" ({allowed})"
        )


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class CatcherSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8025
    mail_dir: Path = Path("var/mail")


def _prefect_auth_from_env() -> SecretStr | None:
    """Prefect's own client variable, when careops's setting is not given."""
    value = os.environ.get("PREFECT_API_AUTH_STRING", "")
    return SecretStr(value) if value.strip() else None


class PrefectStackSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 4200
    work_pool: str = "careops"
    home: Path = Path("var/prefect")
    # The Prefect server's own database: empty = SQLite under `home` when careops runs on
    # SQLite, else the PostgreSQL database `<careops database>_prefect` on the same server.
    database_url: str = ""
    # Instead of that SQLite (which fails under a burst of runs), `careops stack up` starts a
    # PostgreSQL of its own under `home`/postgres (careops/stack/embedded_pg.py); false: SQLite.
    embedded_postgres: bool = True
    workers: int = Field(1, ge=0, le=32)  # process workers `careops stack up` starts
    # Runs at once per worker (`--limit`; 0: no limit). A burst of runs on a small machine: more
    # flow-run processes than cores only take turns, and one starved for 90 s between two
    # events is taken for dead by the heartbeat automation (careops/stack/automations.py).
    worker_limit: int = Field(6, ge=0)

    # The Prefect API's basic-auth string ("user:password"): the stack's server requires it and
    # careops's clients send it. CAREOPS_PREFECT__AUTH_STRING, else PREFECT_API_AUTH_STRING.
    auth_string: SecretStr | None = Field(default_factory=_prefect_auth_from_env)

    @field_validator("auth_string")
    @classmethod
    def _blank_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    def auth_value(self) -> str | None:
        """The auth string in clear, for a Prefect client or a child's environment only."""
        return self.auth_string.get_secret_value() if self.auth_string is not None else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CAREOPS_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite:///var/careops.db"
    timezone: str = "Asia/Shanghai"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    calendar_dir: Path = Path("config/calendar")
    templates_dir: Path = Path("templates")
    log_dir: Path = Path("var/log")  # careops-cli.log: the detail of faults the CLI reports
    # The secrets `careops stack up` generates (careops.secrets): web_secret_key,
    # prefect_auth_string; directory 0700, files 0600.
    secrets_dir: Path = Path("var/secrets")
    ops_email: Address = "ops@careops.local"
    cs_head_email: Address = "cs-head@careops.local"
    leadership_emails: list[Address] = Field(default_factory=lambda: ["leadership@careops.local"])
    biz_email: Address = "biz@careops.local"
    department_mailboxes: dict[str, str] = Field(default_factory=lambda: {
        "TS": "ts@careops.local", "CS": "cs@careops.local", "BIZ": "biz@careops.local"})
    gm_email: Address = "gm@careops.local"
    biz_head_email: Address = "biz-head@careops.local"
    base_url: str = "http://127.0.0.1:4200"
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    catcher: CatcherSettings = Field(default_factory=CatcherSettings)
    prefect: PrefectStackSettings = Field(default_factory=PrefectStackSettings)
    callbacks: CallbackSettings = Field(default_factory=CallbackSettings)
    faults: FaultSettings = Field(default_factory=FaultSettings)
    weekly: WeeklySettings = Field(default_factory=WeeklySettings)
    charts: ChartSettings = Field(default_factory=ChartSettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    survey: SurveySettings = Field(default_factory=SurveySettings)
    holiday_watch: HolidayWatchSettings = Field(default_factory=HolidayWatchSettings)

    @field_validator("department_mailboxes")
    @classmethod
    def _known_mailboxes(cls, boxes: dict[str, str]) -> dict[str, str]:
        # a blank mailbox means "none"; any other value must be an address
        return {department_code(k): _address(v) for k, v in boxes.items() if v.strip()}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("CAREOPS_CONFIG", DEFAULT_CONFIG))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        return (init_settings, env_settings, toml, file_secret_settings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def path(self, relative: Path) -> Path:
        """Resolve a configured path against the project root."""
        return relative if relative.is_absolute() else PROJECT_ROOT / relative


def _address(value: str) -> str:
    try:
        return check_address(value)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None


class SettingsError(CareopsError):
    """A setting (config/careops.toml or a CAREOPS_* variable) that careops cannot use."""


@lru_cache
def get_settings() -> Settings:
    """The settings; SettingsError naming every bad setting (never its value if secret)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for item in exc.errors(include_url=False, include_input=False):
            name = ".".join(str(part) for part in item["loc"])
            problems.append(f"{name}: {item['msg'].removeprefix('Value error, ')}")
        raise SettingsError("bad setting(s): " + "; ".join(problems)) from None
