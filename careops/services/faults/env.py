"""R5: the environment every fault service takes (FaultEnv), shared by recipients, notices,
steps, timers and the sweep."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from careops.calendar import WorkCalendar
from careops.mailer import Mailer
from careops.process_settings import FaultSettings
from careops.settings import Settings


@dataclass(frozen=True)
class FaultEnv:
    """What the fault services need besides the database: mail, calendar, configuration."""

    mailer: Mailer
    calendar: WorkCalendar
    rules: FaultSettings
    tz: ZoneInfo
    leadership_emails: list[str]
    biz_email: str
    default_locale: str = "zh_CN"
    department_mailboxes: dict[str, str] = field(default_factory=dict)
    ops_email: str = ""

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> FaultEnv:
        from careops.bootstrap import get_calendar, get_mailer
        from careops.settings import get_settings

        settings = settings or get_settings()
        return cls(
            get_mailer(), get_calendar(), settings.faults, settings.tz,
            list(settings.leadership_emails), settings.biz_email, settings.default_locale,
            dict(settings.department_mailboxes), settings.ops_email,
        )
