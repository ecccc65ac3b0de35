"""Render a mail from `templates/<locale>/<name>.{subject.txt,txt,html}` with jinja2.

One jinja2 Environment per renderer (templates are compiled once and cached). HTML templates
are autoescaped and get their `<style>` CSS inlined (mail clients drop `<style>` blocks);
text templates are not escaped. Undefined variables are errors, never empty strings.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
import jinja2
from jinja2 import pass_context

from careops.errors import TemplateError

DEFAULT_LOCALE = "zh_CN"
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZH_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_UNDEFINED = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailRenderer:
    """Renders mails from one templates directory; keep one per process (it caches)."""

    def __init__(
        self,
        templates_dir: Path,
        *,
        timezone: str = "Asia/Shanghai",
        default_locale: str = DEFAULT_LOCALE,
    ) -> None:
        self.templates_dir = Path(templates_dir)
        self.tz = ZoneInfo(timezone)
        self.default_locale = default_locale
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates_dir),
            autoescape=lambda name: bool(name) and name.endswith(".html"),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            date=self._date_filter,
            datetime=self._datetime_filter,
            deadline=self._deadline_filter,
            weekday=self._weekday_filter,
            month=self._month_filter,
        )
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)

    def locale_for(self, locale: str | None) -> str:
        """The template locale to use: exact, `zh-CN` spelling, language only, else default."""
        for candidate in (locale, (locale or "").replace("-", "_"), (locale or "")[:2]):
            if candidate and (self.templates_dir / candidate).is_dir():
                return candidate
        return self.default_locale

    def render(self, name: str, locale: str, context: Mapping[str, Any]) -> RenderedMail:
        locale = self.locale_for(locale)
        values = {**context, "mail_locale": locale}
        subject = self._render(f"{locale}/{name}.subject.txt", values)
        text = self._render(f"{locale}/{name}.txt", values)
        html = self._render(f"{locale}/{name}.html", values)
        return RenderedMail(
            subject=" ".join(subject.split()),  # one line, whatever the variables held
            text=text,
            html=self._inliner.inline(html),
        )

    def _render(self, template_name: str, values: Mapping[str, Any]) -> str:
        try:
            template = self.env.get_template(template_name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"template {exc.name} not found under {self.templates_dir}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {exc.name or template_name} line {exc.lineno}: {exc.message}"
            ) from None
        try:
            return template.render(values)
        except jinja2.UndefinedError as exc:
            where = _failing_template(exc.__traceback__, self.templates_dir) or template_name
            match = _UNDEFINED.search(str(exc))
            variable = next((g for g in match.groups() if g), None) if match else None
            if variable is None:
                raise TemplateError(f"template {where}: {exc}") from None
            raise TemplateError(
                f"template {where} needs variable '{variable}' which the caller did not provide"
            ) from None

    # -- filters: they read the mail's locale from the template context -------------------

    def _local(self, value: date | datetime) -> date | datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise TemplateError(f"naive datetime {value!r} given to a template")
            return value.astimezone(self.tz)
        return value

    @pass_context
    def _date_filter(self, ctx: jinja2.runtime.Context, value: date | datetime) -> str:
        day = self._local(value)
        if ctx.get("mail_locale") == "en":
            return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"
        return f"{day.year}年{day.month}月{day.day}日"

    @pass_context
    def _datetime_filter(self, ctx: jinja2.runtime.Context, value: datetime) -> str:
        if not isinstance(value, datetime):
            raise TemplateError(f"the datetime filter needs a datetime, not {value!r}")
        moment = self._local(value)
        return f"{self._date_filter(ctx, moment)} {moment:%H:%M}"

    @pass_context
    def _deadline_filter(self, ctx: jinja2.runtime.Context, value: datetime) -> str:
        """A deadline at local midnight reads as "24:00 of the day before" (PRC Civil Code)."""
        moment = self._local(value)
        if isinstance(moment, datetime) and moment.time() == time(0, 0):
            return f"{self._date_filter(ctx, moment - timedelta(days=1))} 24:00"
        return self._datetime_filter(ctx, value)

    @pass_context
    def _weekday_filter(self, ctx: jinja2.runtime.Context, value: date | datetime) -> str:
        names = _EN_WEEKDAYS if ctx.get("mail_locale") == "en" else _ZH_WEEKDAYS
        return names[self._local(value).weekday()]

    @pass_context
    def _month_filter(self, ctx: jinja2.runtime.Context, value: str | date) -> str:
        """`"2026-12"` (or a date) → `2026年12月` / `Dec 2026`."""
        if isinstance(value, str):
            year, month = (int(part) for part in value.split("-")[:2])
        else:
            year, month = value.year, value.month
        if ctx.get("mail_locale") == "en":
            return f"{_EN_MONTHS[month - 1]} {year}"
        return f"{year}年{month}月"


def _failing_template(tb: TracebackType | None, root: Path) -> str | None:
    """The innermost template in the traceback (e.g. `_base.html` when the base needs it)."""
    found = None
    root = root.resolve()
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".txt")):
            with contextlib.suppress(ValueError):  # a template outside this renderer's root
                found = Path(filename).resolve().relative_to(root).as_posix()
        tb = tb.tb_next
    return found
