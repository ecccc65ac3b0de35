"""The processes' sections of the settings ([callbacks], [faults], [weekly], [charts], [cases],
[web], [holiday_watch], [survey] of config/careops.toml); careops.settings joins them."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator

from careops.addresses import Address


class CallbackSettings(BaseModel):
    monthly_callbacks: int = 12
    quarterly_every_months: int = 3


def department_code(name: str) -> str:
    from careops.db.models.common import Department  # the one list of departments

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
        return [department_code(n) for n in names]


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
    # Signs the customers' links: CAREOPS_WEB__SECRET_KEY, else the key `careops stack up`
    # generates in <secrets_dir>/web_secret_key (careops.secrets.web_secret_key reads either).
    secret_key: SecretStr | None = None

    @field_validator("secret_key")
    @classmethod
    def _blank_key_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

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
