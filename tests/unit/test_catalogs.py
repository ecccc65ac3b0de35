"""The catalog check: every string the templates and the code mark for translation is
translated, not fuzzy, with the same placeholders, in every catalog (zh_CN and en at least).

The msgids are extracted here exactly as `scripts/catalogs.sh update` does (babel.cfg), so a
mail added without running it, or a wording changed in a template, fails this test.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from careops.i18n import available_locales, gettext_for, translate
from careops.i18n.catalogs import catalog_path
from careops.settings import PROJECT_ROOT

KEYWORDS = {**DEFAULT_KEYWORDS, "translate": (2,)}  # as scripts/catalogs.sh: -k translate:2
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _used() -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) → where it is used, for every string marked in templates and code."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[tuple[str | None, str], str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), f"{filename}:{lineno}")
    return found


USED = _used()


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    """A translation's forms: one, or one per plural form (`{% pluralize %}`, ngettext)."""
    return string if isinstance(string, tuple) else (string,)


def test_templates_use_translated_strings() -> None:
    assert len(USED) > 50 and any(where.startswith("templates/mail/") for where in USED.values())


@pytest.mark.parametrize("locale", sorted({"zh_CN", "en", *available_locales()}))
def test_catalog_translates_every_string_in_use(locale: str) -> None:
    path = catalog_path(locale)
    assert path.is_file(), f"no catalog {path}: bash scripts/catalogs.sh init {locale}"
    with path.open("rb") as po:
        catalog = read_po(po)
    problems = []
    for (context, msgid), where in sorted(USED.items(), key=lambda kv: kv[1]):
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problems.append(f"{where}: missing {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: fuzzy {msgid!r}")
        elif not all(forms := _forms(entry.string)):
            problems.append(f"{where}: untranslated {msgid!r}")
        elif any(set(_PLACEHOLDER.findall(msgid)) != set(_PLACEHOLDER.findall(form))
                 for form in forms):
            problems.append(f"{where}: placeholders differ in {entry.string!r}")
    assert not problems, (
        f"{path.relative_to(PROJECT_ROOT)} (run `bash scripts/catalogs.sh update`, then "
        "translate):\n" + "\n".join(problems)
    )


def test_helpers_for_code_translate_and_fall_back() -> None:
    assert gettext_for("zh_CN")("Phone") == "电话" and gettext_for("en")("Phone") == "Phone"
    assert gettext_for("zh-CN")("Phone") == "电话" and gettext_for("fr")("Phone") == "电话"
    assert translate("zh_CN", "Hello %(name)s, the month is closed.", name="王") == (
        "王，您好：本月客户回访已结束，汇总如下。"
    )
    assert gettext_for("en")("not in any catalog") == "not in any catalog"
