"""Every mail shows what it showed before the move to one template per mail + gettext catalogs.

The snapshots (`tests/snapshots/mail/<case>.<locale>.txt`: subject, then the visible text of
the HTML part) were written by the per-locale templates from the fixed cases of
`tests/support/mail_fixtures.py`. Today's renderer must show the same, whitespace-folded.

Deliberate differences (each listed in DELIBERATE, applied to the old text before comparing):
- a space that only a line break of the old template source put after Chinese full-width
  punctuation is gone ("共 3 个。 回访后" → "共 3 个。回访后"): not content, bad typography;
- English call list: a sentence starting the paragraph starts with a capital letter;
- English month summary: the missed callbacks read "Missed callbacks" with the note the
  Chinese mail always had ("The next callbacks are still planned.");
- English failed-mail notice: "7 mails" / "1 mail" (ngettext) instead of "7 mail(s)".
The plain-text part is no longer written by hand: it is derived from the HTML, so it shows the
same content as the HTML (tested in test_render.py), not the old hand-written wording.
"""

from __future__ import annotations

import re

import pytest

from careops.mail.render import MailRenderer
from careops.settings import PROJECT_ROOT
from tests.support.mail_fixtures import CASES, LOCALES
from tests.support.mail_snapshots import fold, render_case, snapshot_of, snapshot_path

_CJK_PUNCT_SPACE = re.compile(r"(?<=[。，：；！？、）】”])\s+")

# (case prefix, locale) → [(old, new)]
DELIBERATE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("call_list", "en"): [("\nthe complete list", "\nThe complete list")],
    ("ops_outbox_failed", "en"): [("7 mail(s)", "7 mails")],
    ("ops_outbox_failed.all_listed", "en"): [("1 mail(s)", "1 mail")],
    ("callback_month_summary", "en"): [
        ("\nMissed\n| Due", "\nMissed callbacks\nThe next callbacks are still planned.\n| Due"),
    ],
}


def _expected(case: str, locale: str) -> str:
    text = snapshot_path(case, locale).read_text(encoding="utf-8")
    for old, new in DELIBERATE.get((case, locale), []):
        assert old in text, f"DELIBERATE lists {old!r}, which {case} [{locale}] never showed"
        text = text.replace(old, new)
    return fold(_CJK_PUNCT_SPACE.sub("", text))


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer(PROJECT_ROOT / "templates")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_mail_shows_what_it_showed_before(renderer, case, locale) -> None:
    shown = snapshot_of(render_case(renderer, case, locale))
    assert fold(_CJK_PUNCT_SPACE.sub("", shown)) == _expected(case, locale)


def test_every_mail_template_has_cases_and_snapshots() -> None:
    mails = {p.stem for p in (PROJECT_ROOT / "templates" / "mail").glob("[!_]*.html")}
    assert mails == {template for template, _ in CASES.values()}
    for case in CASES:
        for locale in LOCALES:
            assert snapshot_path(case, locale).is_file(), f"no snapshot for {case} [{locale}]"


def test_no_per_locale_template_copies() -> None:
    """One template per mail: old-style `templates/<locale>/<name>.{subject.txt,txt,html}`
    (e.g. arriving in a merge) must be converted (DEVELOPERS.md, "Adding a mail")."""
    templates = PROJECT_ROOT / "templates"
    old_style = sorted(
        p.relative_to(templates).as_posix()
        for p in templates.rglob("*")
        if p.name.endswith((".subject.txt", ".txt"))
        or (p.is_dir() and p.name.replace("-", "_") in {"zh_CN", "zh", "en", "en_US", "en_GB"})
    )
    assert not old_style, f"per-locale mail templates left: {old_style}"
