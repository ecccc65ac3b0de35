"""Snapshots of what every mail shows: subject and the visible text of its HTML part.

The snapshots under `tests/snapshots/mail/` were written with the renderer of the time
(per-locale templates) before the move to one template per mail and gettext catalogs;
`tests/unit/test_mail_snapshots.py` renders the same cases with today's renderer and compares
the whitespace-folded visible text. Write or refresh the snapshots of one mail (a new mail, or a
wording change made on purpose) with:

    .venv/bin/python -m tests.support.mail_snapshots --write [CASE ...]
"""

from __future__ import annotations

import argparse
import re
from html.parser import HTMLParser
from pathlib import Path

from careops.mail.render import MailRenderer, RenderedMail
from careops.settings import PROJECT_ROOT
from tests.support.mail_fixtures import CASES, LOCALES

SNAPSHOTS = PROJECT_ROOT / "tests" / "snapshots" / "mail"
_BLOCKS = {"p", "div", "h1", "h2", "h3", "tr", "table", "pre", "br", "li", "ul", "ol"}
_CELLS = {"td", "th"}
_INVISIBLE = {"head", "style", "script", "title"}


class _Visible(HTMLParser):
    """The text a reader sees in the HTML part: no head, no style; a line per block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _INVISIBLE:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self.hidden -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:  # HTML folds white space (a line break in text is a space)
            self.parts.append(re.sub(r"\s+", " ", data))


def visible_text(html: str) -> str:
    """The HTML's visible text, one line per block, spaces folded inside each line."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def fold(text: str) -> str:
    """Whitespace-folded: what the comparison uses (line layout is not content)."""
    return re.sub(r"\s+", " ", text).strip()


def snapshot_of(mail: RenderedMail) -> str:
    return f"{mail.subject}\n\n{visible_text(mail.html)}"


def snapshot_path(case: str, locale: str) -> Path:
    return SNAPSHOTS / f"{case}.{locale}.txt"


def render_case(renderer: MailRenderer, case: str, locale: str) -> RenderedMail:
    template, context = CASES[case]
    return renderer.render(template, locale, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the snapshot files")
    parser.add_argument("cases", nargs="*", help="case ids (default: all)")
    args = parser.parse_args()
    renderer = MailRenderer(PROJECT_ROOT / "templates")
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    for case in args.cases or sorted(CASES):
        for locale in LOCALES:
            shown = snapshot_of(render_case(renderer, case, locale))
            if args.write:
                snapshot_path(case, locale).write_text(shown, encoding="utf-8")
            else:
                print(f"== {case} [{locale}]\n{shown}")


if __name__ == "__main__":
    main()
