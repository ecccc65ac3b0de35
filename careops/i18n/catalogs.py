"""gettext catalogs: `careops/locale/<locale>/LC_MESSAGES/messages.po`, managed with Babel.

The `.po` files are the only source: they are compiled in memory when first used (Babel's
`write_mo`, a few milliseconds), so there is no `.mo` file to forget, commit or keep in step.
Fuzzy entries are never used. `scripts/catalogs.sh` extracts and updates them.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_CN"


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def available_locales() -> tuple[str, ...]:
    """The locales that have a catalog, e.g. `("en", "zh_CN")`."""
    found = LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    return tuple(sorted(path.parent.parent.name for path in found))


def resolve_locale(locale: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The catalog to use for `locale`: exact, `zh-CN` spelling, language only, else default."""
    known = available_locales()
    wanted = (locale or "").replace("-", "_")
    for candidate in (wanted, wanted.split("_")[0]):
        if candidate in known:
            return candidate
    for candidate in known:  # `zh` → `zh_CN`
        if wanted and candidate.split("_")[0] == wanted.split("_")[0]:
            return candidate
    return default


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of `locale` (resolved as `resolve_locale` does)."""
    path = catalog_path(resolve_locale(locale))
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext_for(locale: str | None):
    """A `gettext(msgid)` for `locale`, for code (CSV/XLSX headers) rather than templates.

    Mark msgids with `_ = gettext_for(locale)`; `_("Due date")` so `pybabel extract` finds them.
    """
    return translations(resolve_locale(locale)).gettext


def translate(locale: str | None, msgid: str, **values: object) -> str:
    """`msgid` in `locale`, with `%(name)s` placeholders filled from `values`."""
    text = gettext_for(locale)(msgid)
    return text % values if values else text
