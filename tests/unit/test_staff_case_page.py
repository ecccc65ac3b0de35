"""The case owner's page's pure parts: its words, the link's subject and expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from careops.services.cases.notices import CASE_LINK_DAYS, case_link_expiry
from careops.services.cases.queries import CaseEntry
from careops.web.staff import cases
from careops.web.staff.words import COMMON
from tests.support.mail_fixtures import case


def test_both_languages_have_every_word() -> None:
    assert list(cases.WORDS) == ["zh_CN", "en"]  # zh_CN first
    assert set(cases.WORDS["zh_CN"]) == set(cases.WORDS["en"])
    assert {f"dept_{d}" for d in cases.DEPARTMENTS} <= set(cases.WORDS["en"])
    assert set(COMMON["zh_CN"]) == set(COMMON["en"])


def test_the_subject_names_one_case() -> None:
    assert cases.case_id_of("case:42") == 42
    for other in ("case:", "case:-1", "case:4x", "2026-09", "fault:42", ""):
        assert cases.case_id_of(other) is None


def test_the_link_lasts_until_the_deadline_plus_30_days_and_never_less_from_the_mail() -> None:
    now = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    due = datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    assert CASE_LINK_DAYS == 30
    assert case_link_expiry(due, now) == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    late = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)  # mailed after the deadline (a breach)
    assert case_link_expiry(due, late) == datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    assert case_link_expiry(None, now) == datetime(2026, 10, 31, 2, 0, tzinfo=UTC)  # pending


def test_who_may_read_the_case() -> None:
    at = datetime(2026, 10, 1, tzinfo=UTC)
    handed = case(owner_code="CS2", owner_name="刘洋", taken_by_name="韩梅梅", history=[
        CaseEntry(at, "handover", "李雷", "李雷 → 刘洋: 休假")])
    assert cases.was_owner(handed, "CS2", "刘洋")  # owns it
    assert cases.was_owner(handed, "CS1", "韩梅梅")  # took it
    assert cases.was_owner(handed, "CS3", "李雷")  # handed it over
    assert not cases.was_owner(handed, "CS4", "王芳")
