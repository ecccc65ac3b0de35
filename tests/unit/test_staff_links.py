"""Staff links: signed per scope, expiring at their own instant, tamper-evident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from careops.secrets import SecretProblem
from careops.staff_links import LinkExpired, LinkInvalid, StaffLinks
from careops.web.staff.words import COMMON

KEY = "k" * 48
NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 7, 16, 0, tzinfo=UTC)


def _token(links: StaffLinks, **over) -> str:
    values = {"staff_id": 3, "recipient": " Li.Ming@Example.test ", "generation": 2,
              "scope": "calls", "subject": "2026-12", "expires": EXPIRES} | over
    return links.token(**values)


def test_a_genuine_token_reads_back_its_claim() -> None:
    links = StaffLinks(KEY, "https://careops.example/")
    claim = links.read(_token(links), "calls", NOW)
    assert (claim.staff_id, claim.recipient, claim.generation, claim.subject) == (
        3, "li.ming@example.test", 2, "2026-12")
    assert claim.expires == EXPIRES
    url = links.url(staff_id=3, recipient="a@b.test", generation=0, scope="alert",
                    subject="incident:9", expires=EXPIRES)
    assert url.startswith("https://careops.example/staff/alert/")


def test_expired_at_its_own_instant_not_before() -> None:
    links = StaffLinks(KEY, "http://x")
    token = _token(links)
    assert links.read(token, "calls", EXPIRES - timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        links.read(token, "calls", EXPIRES)


def test_tampered_other_scope_and_other_key_are_invalid() -> None:
    links = StaffLinks(KEY, "http://x")
    token = _token(links)
    head, _, sig = token.rpartition(".")
    for bad in (head + "." + sig[::-1], token[:-2], "x" * 2000, ""):
        with pytest.raises(LinkInvalid):
            links.read(bad, "calls", NOW)
    with pytest.raises(LinkInvalid):  # a call-list link never opens a case page
        links.read(token, "case", NOW)
    with pytest.raises(LinkInvalid):
        StaffLinks("q" * 48, "http://x").read(token, "calls", NOW)


def test_unknown_scope_and_shipped_key_are_refused() -> None:
    with pytest.raises(ValueError, match="scope"):
        _token(StaffLinks(KEY, "http://x"), scope="admin")
    with pytest.raises(SecretProblem):
        _token(StaffLinks("careops-dev-secret-change-me", "http://x"))


def test_common_words_in_both_languages() -> None:
    assert set(COMMON["zh_CN"]) == set(COMMON["en"])
