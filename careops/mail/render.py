"""Render a mail from its one template, `templates/mail/<name>.html`, in the recipient's locale.

The template extends `mail/_base.html`, puts the subject in `{% block subject %}` and the body
in `{% block content %}`; its words are English msgids in `{% trans %}`/`_()`, translated from
the gettext catalogs (`careops.i18n`). The renderer derives three parts from one render:
the subject (the block, one line), the HTML (CSS inlined: mail clients drop `<style>`) and the
plain-text alternative (`careops.mail.text`, from the same HTML).

One jinja2 Environment per locale (templates are compiled once per locale and cached).
Undefined variables are errors, never empty strings. Every `{{ value }}` shows on one line:
line breaks and control characters in variables become spaces, so free text cannot fake
headers or structure; `|free_text` shows text of several lines as a quoted, indented block.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import css_inline
import jinja2
from jinja2 import pass_context
from markupsafe import Markup, escape

from careops.errors import TemplateError
from careops.i18n import DEFAULT_LOCALE, Formats, resolve_locale, translations
from careops.mail.text import html_to_text

_UNDEFINED = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x85\u2028\u2029]")


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def one_line(value: Any) -> Any:
    """Strings (not markup the templates made) lose line breaks and control characters."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROL.sub(" ", value)
    return value


def free_text(value: Any, pre: bool = False) -> Markup:
    """Text of several lines (an analysis, a message) as a quoted block, each line escaped;
    in the plain-text part every line of it is indented, never at the left margin."""
    lines = [escape(_CONTROL.sub(" ", line)) for line in _LINE_BREAK.split(str(value))]
    if pre:
        return Markup('<pre class="free">{}</pre>').format(Markup("\n").join(lines))
    return Markup('<blockquote class="free">{}</blockquote>').format(Markup("<br>\n").join(lines))


def _one_line_arguments(gettext: Callable[..., Any]) -> Callable[..., Any]:
    """Variables of `{% trans %}` and `_()` are not finalized by jinja2: fold them here."""

    @pass_context
    def wrapper(__context: jinja2.runtime.Context, *args: Any, **variables: Any) -> Any:
        return gettext(__context, *args, **{k: one_line(v) for k, v in variables.items()})

    return wrapper


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
        self.timezone = timezone
        self.default_locale = default_locale
        self._envs: dict[str, jinja2.Environment] = {}
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)

    def locale_for(self, locale: str | None) -> str:
        """The catalog locale to use: exact, `zh-CN` spelling, language only, else default."""
        return resolve_locale(locale, self.default_locale)

    def environment(self, locale: str) -> jinja2.Environment:
        env = self._envs.get(locale)
        if env is None:
            env = self._envs[locale] = self._new_environment(locale)
        return env

    def _new_environment(self, locale: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates_dir),
            autoescape=lambda name: bool(name) and name.endswith(".html"),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=one_line,
            extensions=["jinja2.ext.i18n"],
        )
        env.policies["ext.i18n.trimmed"] = True  # msgids without the template's line breaks
        env.install_gettext_translations(translations(locale), newstyle=True)
        for name in ("gettext", "ngettext", "pgettext", "npgettext"):
            env.globals[name] = _one_line_arguments(env.globals[name])
        formats = Formats(locale, self.timezone)
        env.filters.update(
            date=formats.date,
            datetime=formats.datetime,
            deadline=formats.deadline,
            weekday=formats.weekday,
            month=formats.month,
            time=formats.time,
            number=formats.number,
            free_text=free_text,
        )
        return env

    def render(self, name: str, locale: str, context: Mapping[str, Any]) -> RenderedMail:
        locale = self.locale_for(locale)
        template_name = f"mail/{name}.html"
        template = self._template(self.environment(locale), template_name)
        if "subject" not in template.blocks:
            raise TemplateError(f"template {template_name} has no {{% block subject %}}")
        values = {**context, "mail_locale": locale, "html_lang": locale.replace("_", "-")}
        html = self._run(template_name, lambda: template.render(values))
        subject = self._run(
            template_name,
            lambda: "".join(template.blocks["subject"](template.new_context(values))),
        )
        return RenderedMail(
            subject=" ".join(html_lib.unescape(subject).split()),  # one line, plain text
            text=html_to_text(html),
            html=self._inliner.inline(html),
        )

    def _template(self, env: jinja2.Environment, template_name: str) -> jinja2.Template:
        try:
            return env.get_template(template_name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"template {exc.name} not found under {self.templates_dir}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {exc.name or template_name} line {exc.lineno}: {exc.message}"
            ) from None

    def _run(self, template_name: str, render: Callable[[], str]) -> str:
        try:
            return render()
        except jinja2.UndefinedError as exc:
            where = _failing_template(exc.__traceback__, self.templates_dir) or template_name
            match = _UNDEFINED.search(str(exc))
            variable = next((g for g in match.groups() if g), None) if match else None
            if variable is None:
                raise TemplateError(f"template {where}: {exc}") from None
            raise TemplateError(
                f"template {where} needs variable '{variable}' which the caller did not provide"
            ) from None


def _failing_template(tb: TracebackType | None, root: Path) -> str | None:
    """The innermost template in the traceback (e.g. `mail/_base.html` when the base needs it)."""
    found = None
    root = root.resolve()
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".css")):
            with contextlib.suppress(ValueError):  # a template outside this renderer's root
                found = Path(filename).resolve().relative_to(root).as_posix()
        tb = tb.tb_next
    return found
