"""The plain-text alternative of a mail, derived from its rendered HTML with inscriptis.

Tables keep their columns, links read `[label](url)`, headings and paragraphs stay blocks.
Free text rendered by a template as `<blockquote class="free">` is indented by two spaces, so a
line a customer typed can never start at the left margin where it could pass for a header.
"""

from __future__ import annotations

import re

from inscriptis import get_text
from inscriptis.css_profiles import STRICT_CSS_PROFILE
from inscriptis.html_properties import Display, WhiteSpace
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_element import HtmlElement

_PROFILE = {
    **STRICT_CSS_PROFILE,
    "blockquote": HtmlElement(display=Display.block, margin_before=0, margin_after=1,
                              padding_inline=2),
    "pre": HtmlElement(display=Display.block, whitespace=WhiteSpace.pre, padding_inline=2),
}
_CONFIG = ParserConfig(css=_PROFILE, display_links=True)
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """The text a plain-text mail client shows for `html` (trailing spaces and runs of blank
    lines removed, one final newline)."""
    text = get_text(html, _CONFIG)
    lines = [line.rstrip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"
