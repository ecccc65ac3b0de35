"""Translations (gettext catalogs managed with Babel) and locale-aware formats (Babel).

Templates use `{% trans %}`/`_()` and the renderer's filters; code that needs a translated
string (CSV/XLSX column headers, ...) uses `gettext_for(locale)` or `translate(locale, msgid)`.
"""

from careops.i18n.catalogs import (
    DEFAULT_LOCALE,
    available_locales,
    gettext_for,
    resolve_locale,
    translate,
    translations,
)
from careops.i18n.formats import Formats

__all__ = [
    "DEFAULT_LOCALE",
    "Formats",
    "available_locales",
    "gettext_for",
    "resolve_locale",
    "translate",
    "translations",
]
