"""Build the services' collaborators (calendar, mailer) from the settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from careops.calendar import WorkCalendar, load_calendar
from careops.mail.render import MailRenderer
from careops.mailer import Mailer
from careops.settings import get_settings


@lru_cache
def get_calendar() -> WorkCalendar:
    settings = get_settings()
    return load_calendar(settings.path(settings.calendar_dir))


@lru_cache
def get_renderer() -> MailRenderer:
    settings = get_settings()
    return MailRenderer(settings.path(settings.templates_dir))


def get_mailer() -> Mailer:
    settings = get_settings()
    return Mailer(get_renderer(), settings.smtp.sender, settings.default_locale)


def reset() -> None:
    """Forget cached collaborators (tests change settings between cases)."""
    get_calendar.cache_clear()
    get_renderer.cache_clear()
