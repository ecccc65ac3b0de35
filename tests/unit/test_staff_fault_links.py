"""R5 personal links, pure parts: the subject, the expiries, the page's words in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from careops.services.faults.links import expiry, parse_subject, subject
from careops.web.staff.faults_words import WORDS
from careops.web.staff.words import COMMON

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)


def test_both_languages_have_the_same_words() -> None:
    assert set(WORDS) == set(COMMON) == {"zh_CN", "en"}
    assert WORDS["zh_CN"].keys() == WORDS["en"].keys()


def test_the_subject_names_one_fault_and_one_step() -> None:
    assert subject(7, "file") == "fault:7:file"
    assert parse_subject("fault:7:analysis") == (7, "analysis")
    for bad in ("fault:7:close", "fault:x:file", "weekly:7:file", "fault:7", "fault:7:file:1",
                "fault:-1:file", ""):
        assert parse_subject(bad) is None, bad


def test_expiries() -> None:
    due = NOW + timedelta(days=3)
    fault = SimpleNamespace(analysis_due_at=due)
    assert expiry(fault, "file", NOW) == NOW + timedelta(days=7)
    assert expiry(fault, "resolve", NOW) == NOW + timedelta(days=30)
    assert expiry(fault, "analysis", NOW) == due + timedelta(days=7)
    late = NOW + timedelta(days=10)  # an overdue chase: a week from its own mail
    assert expiry(fault, "analysis", late) == late + timedelta(days=7)
    pending = SimpleNamespace(analysis_due_at=None)  # the deadline waits for a calendar year
    assert expiry(pending, "analysis", NOW) == NOW + timedelta(days=30)


def test_the_mail_shows_each_link_with_its_step_and_expiry() -> None:
    from careops.mail.render import MailRenderer
    from careops.services.faults.links import StepLink
    from careops.settings import PROJECT_ROOT
    from tests.support.mail_fixtures import CASES

    renderer = MailRenderer(PROJECT_ROOT / "templates")
    template, context = CASES["fault_notice"]
    links = [StepLink("file", "http://web.test/staff/fault/AAA", NOW + timedelta(days=7)),
             StepLink("resolve", "http://web.test/staff/fault/BBB", NOW + timedelta(days=30))]
    zh = renderer.render(template, "zh_CN", {**context, "links": links})
    assert "备案此故障" in zh.html and "登记故障结束时间" in zh.html
    assert 'href="http://web.test/staff/fault/AAA"' in zh.html
    assert "http://web.test/staff/fault/BBB" in zh.text and "有效期至 2026年4月15日" in zh.text
    assert "careops fault file" in zh.text  # the CLI way stays
    en = renderer.render("fault_analysis_request", "en", {
        **CASES["fault_analysis_request"][1],
        "links": [StepLink("analysis", "http://web.test/staff/fault/CCC", NOW)]})
    assert "Write the fault analysis report" in en.html and "Valid until" in en.text
    plain = renderer.render(template, "en", context)  # no key, no link: as before
    assert "/staff/fault/" not in plain.html and "personal link" not in plain.text
