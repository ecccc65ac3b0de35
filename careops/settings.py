"""Settings: `config/careops.toml` (documented defaults) overridden by `CAREOPS_*` variables.

Read once through the cached `get_settings()`, never at import time. Nested sections are
overridden with a double underscore: `CAREOPS_SMTP__PORT=2525`.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import date, time
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
    workers: int = Field(1, ge=0, le=32)  # process workers `careops stack up` starts
    worker_limit: int = Field(0, ge=0)  # runs at once per worker (`--limit`); 0: no limit

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


class CallbackSettings(BaseModel):
    monthly_callbacks: int = 12
    quarterly_every_months: int = 3


def _department(name: str) -> str:
    from careops.db.models import Department  # the one list of departments

    code = name.strip().upper()
    if code not in {d.value for d in Department}:
        raise ValueError(f"unknown department {name!r}: one of "
                         f"{', '.join(d.value for d in Department)}")
    return code


class FaultSettings(BaseModel):
    file_within_minutes: int = 30
    chase_every_minutes: int = 30
    chase_limit: int = 4
    analysis_working_days: int = 2
    analysis_chase_every_hours: int = 24
    analysis_chase_limit: int = 3
    major_departments: list[str] = Field(default_factory=lambda: ["TS", "CS"])
    minor_departments: list[str] = Field(default_factory=lambda: ["TS"])

    @field_validator("major_departments", "minor_departments")
    @classmethod
    def _known_departments(cls, names: list[str]) -> list[str]:
        return [_department(n) for n in names]


class WeeklySettings(BaseModel):
    """R4: local times of the meeting day's steps; prefect.yaml's crons must match them."""

    reminder_at: time = time(9, 30)
    nudge_at: time = time(13, 0)
    compile_at: time = time(14, 0)
    meeting_at: time = time(15, 0)
    max_text_chars: int = 20_000
    rate_history_meetings: int = 8
    # The careops web page to submit from, once it exists; {week} and {staff_code} are filled.
    submit_url_template: str | None = None


class ChartSettings(BaseModel):
    # A font with Chinese glyphs (Debian fonts-wqy-microhei, installed by scripts/install.sh).
    font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class CaseSettings(BaseModel):
    """R6 numbers (the regulation's defaults) and the archive periods."""

    consultation_hours: int = 24
    complaint_working_days: int = 3
    special_complaint_working_days: int = 7
    suggestion_working_days: int = 5
    warn_hours_before_consultation: int = 4
    warn_morning: str = "09:00"  # complaints and suggestions: the morning of the last day
    opinion_days: int = 14  # the customer's opinion link is valid this long
    keep_years: int = 1  # a closed case is kept this long after closing
    keep_important_years: int = 3


class WebSettings(BaseModel):
    """careops's own web app (customer pages: the case opinion, the survey)."""

    host: str = "127.0.0.1"
    port: int = 8400
    public_url: str = ""  # links in mails; default http://<host>:<port>
    secret_key: SecretStr = SecretStr("careops-dev-secret-change-me")

    @property
    def url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
class HolidayWatchSettings(BaseModel):
    """R3 (config/careops.toml [holiday_watch] documents each field)."""

    holidays: list[str] = Field(default_factory=lambda: [
        "spring-festival", "national-day", "new-year", "may-day", "mid-autumn", "qingming",
        "dragon-boat"])
    interval_minutes: int = Field(5, ge=1, le=60)
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    concurrency: int = Field(200, ge=1, le=5000)
    failures_to_alert: int = Field(3, ge=1)
    reminder_every_minutes: int = Field(60, ge=5)
    reminder_limit: int = Field(3, ge=0)
    group_threshold: int = Field(10, ge=2)
    readiness_working_days: int = Field(3, ge=1, le=20)
    cert_margin_days: int = Field(7, ge=0)
    ca_file: Path | None = None
    retention_days: int = Field(400, ge=1)
    lease_minutes: int = Field(15, ge=2)

    @field_validator("holidays")
    @classmethod
    def _known_holidays(cls, keys: list[str]) -> list[str]:
        from careops.rules.holidays import check_holidays

        try:
            return list(check_holidays(keys))
        except Exception as exc:
            raise ValueError(str(exc)) from None


def _month_day(text: str) -> str:
    """`MM-DD` (checked against a leap year, so 02-29 is allowed)."""
    try:
        date.fromisoformat(f"2024-{text.strip()}")
    except ValueError:
        raise ValueError(f"{text!r} is not a MM-DD day (e.g. 12-15)") from None
    return text.strip()


class SurveySettings(BaseModel):
    """R2: the December needs survey and New Year gifts (days are MM-DD, local)."""

    # Reminders to contacts who have not answered, in December (at most two).
    reminder_days: list[str] = Field(default_factory=lambda: ["12-15", "12-22"])
    # The survey closes at the end of this day of January; the link then says it is closed.
    closes_on: str = "01-05"
    # The needs summary goes to management on this day of January (after the close).
    summary_on: str = "01-06"
    # Links stay genuine this long after they are mailed (then: an "expired link" page).
    link_valid_days: int = 90
    management_emails: list[Address] = Field(
        default_factory=lambda: ["leadership@careops.local"])
    # Gift kind by customer tier and new/old customer; "*" is the fallback tier.
    gifts: dict[str, dict[str, str]] = Field(default_factory=lambda: {
        "A": {"new": "定制礼盒（茶叶+台历）", "old": "定制礼盒（茶叶）"},
        "B": {"new": "新年礼盒+台历", "old": "新年礼盒"},
        "C": {"new": "台历+贺卡", "old": "台历"},
        "*": {"new": "台历+贺卡", "old": "台历"},
    })

    @field_validator("reminder_days")
    @classmethod
    def _reminders(cls, days: list[str]) -> list[str]:
        if len(days) > 2:
            raise ValueError(f"at most two reminder days, not {len(days)}: {days}")
        checked = [_month_day(d) for d in days]
        if any(not d.startswith("12-") for d in checked):
            raise ValueError(f"reminder days are December days (12-DD): {days}")
        return sorted(checked)

    @field_validator("closes_on", "summary_on")
    @classmethod
    def _january(cls, day: str) -> str:
        if not _month_day(day).startswith("01-"):
            raise ValueError(f"{day!r}: the survey closes and is summarised in January (01-DD)")
        return day.strip()

    @field_validator("gifts")
    @classmethod
    def _gift_table(cls, table: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        if "*" not in table:
            raise ValueError('the gift table needs a fallback row "*" (tiers not listed)')
        for tier, kinds in table.items():
            missing = {"new", "old"} - set(kinds)
            if missing:
                raise ValueError(f"gift table row {tier!r} lacks {', '.join(sorted(missing))}")
        return table


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
        return {_department(k): _address(v) for k, v in boxes.items() if v.strip()}

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
