"""Build the services' collaborators (calendar, mailer) from the settings, once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from careops.calendar import WorkCalendar, load_calendar
from careops.mail.render import MailRenderer
from careops.mailer import Mailer
from careops.settings import get_settings


def get_calendar() -> WorkCalendar:
    """The working-day calendar, re-read when a file of the calendar directory is added or
    changed: a long-running process (worker, CLI session, sweep) sees a newly published year."""
    settings = get_settings()
    folder = settings.path(settings.calendar_dir)
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    return _calendar(folder, tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                                   for p in files))


@lru_cache(maxsize=4)
def _calendar(folder: Path, _files: tuple[tuple[str, int, int], ...]) -> WorkCalendar:
    return load_calendar(folder)


def get_watch_calendar() -> WorkCalendar:
    """R3's calendar: `get_calendar()`, with an unpublished year planned provisionally (its
    statutory days plus the weekends, careops.rules.holidays.provisional_supplement) instead of
    refused. Only the holiday watch uses it; deadlines keep waiting for the published file."""
    return _watch_calendar(get_calendar())


@lru_cache(maxsize=4)
def _watch_calendar(calendar: WorkCalendar) -> WorkCalendar:
    from careops.calendar import statutory_days
    from careops.rules.holidays import provisional_supplement

    return calendar.provisional(lambda year: provisional_supplement(year, statutory_days(year)))


@lru_cache
def get_renderer() -> MailRenderer:
    settings = get_settings()
    return MailRenderer(settings.path(settings.templates_dir))


def get_mailer() -> Mailer:
    settings = get_settings()
    from careops.staff_links import staff_links

    return Mailer(get_renderer(), settings.smtp.sender, settings.default_locale,
                  links=staff_links(settings))


def reset() -> None:
    """Forget cached collaborators (tests change settings between cases)."""
    _calendar.cache_clear()
    _watch_calendar.cache_clear()
    get_renderer.cache_clear()
