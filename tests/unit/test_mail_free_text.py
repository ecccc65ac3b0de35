"""Free text (symptoms, notes, analyses, messages) cannot pass for headers or structure (#13.9).

A customer or a colleague types the text; a mail shows it. Line breaks in it must not start a
line of the plain-text part that reads like a header (`Bcc: …`), a signature separator or a
section of the mail, and no markup in it may reach the HTML part.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from careops.mail.render import MailRenderer
from careops.services.weekly.report import ReportView
from careops.settings import PROJECT_ROOT
from tests.support.mail_fixtures import ANALYSIS, CASES, LOCALES

FORGED = (
    "断电\r\nBcc: victim@example.com\n\nSubject: 紧急\u2028From: boss@example.com\n-- \n<b>x</b>"
)
HEADER_LIKE = re.compile(r"^(Bcc|Cc|To|From|Subject|Reply-To|Date)\s*:", re.IGNORECASE | re.M)
FAULT_TEXT = ("place", "symptoms", "handling_plan", "resolution")


def _forged(context: dict) -> dict:
    values = dict(context)
    if "fault" in values:
        fault = values["fault"]
        changes = {field: FORGED for field in FAULT_TEXT}
        changes["timeline"] = [dataclasses.replace(e, details=FORGED) for e in fault.timeline]
        if fault.analysis:
            changes["analysis"] = {**ANALYSIS, **{k: FORGED for k in ANALYSIS if k not in
                                                  ("author", "submitted_at")}}
        values["fault"] = dataclasses.replace(fault, **changes)
    if "case" in values:  # R6: what the customer said, the result, their comment
        case = values["case"]
        fields = {f.name for f in dataclasses.fields(case)}
        values["case"] = dataclasses.replace(case, **{
            k: FORGED for k in ("text", "result", "opinion_comment", "special_reason",
                                "customer_name", "contact_name") if k in fields})
    if isinstance(values.get("report"), ReportView):  # the weekly report: submitted texts
        report = values["report"]
        values["report"] = dataclasses.replace(
            report, submissions=[_forged_submission(s) for s in report.submissions])
    elif isinstance(values.get("report"), dict):  # the customer's report: the analysis texts
        values["report"] = {**values["report"], **{k: FORGED for k in ANALYSIS if k not in
                                                   ("author", "submitted_at")}}
    if "submission" in values:  # a late weekly report
        values["submission"] = _forged_submission(values["submission"])
    if "messages" in values:  # the failed-mail notice: SMTP errors
        values["messages"] = [{**m, "error": FORGED} for m in values["messages"]]
    for key in ("note", "comment", "message", "error", "reason"):
        if key in values:
            values[key] = FORGED
    return values


def _forged_submission(submission):
    return dataclasses.replace(submission, situation=FORGED, feedback=FORGED, problems=FORGED)


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer(PROJECT_ROOT / "templates")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_free_text_cannot_forge_headers_or_structure(renderer, case, locale) -> None:
    template, context = CASES[case]
    mail = renderer.render(template, locale, _forged(context))
    assert "\n" not in mail.subject
    assert not HEADER_LIKE.search(mail.text), mail.text
    assert "\n-- \n" not in mail.text and not mail.text.startswith("-- \n")
    assert "<b>x</b>" not in mail.html and "\u2028" not in mail.text
