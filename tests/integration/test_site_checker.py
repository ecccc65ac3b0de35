"""The R3 HTTP client against real loopback servers: each way a site can be down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from careops.rules.site_conditions import Conditions, judge
from careops.site_checker import Target, run_checks
from tests.support.sites import SiteServer, refusing_url
from tests.support.tls import make_certificates

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def web():
    server = SiteServer(slow_seconds=TIMEOUT + 1.5).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_sites(tmp_path_factory):
    """Two HTTPS sites signed by a throw-away CA: one valid 30 days, one expiring in 3 days."""
    ca, context = make_certificates(tmp_path_factory.mktemp("tls30"), days=30)
    ca3, context3 = make_certificates(tmp_path_factory.mktemp("tls3"), days=3)
    good, soon = SiteServer(tls=context).start(), SiteServer(tls=context3).start()
    yield {"good": good, "soon": soon, "ca": ca, "ca3": ca3}
    good.stop()
    soon.stop()


def check(url: str, conditions: Conditions | None = None, ca_file=None):
    conditions = conditions or Conditions()
    response = run_checks([Target(1, url)], timeout=TIMEOUT, concurrency=4, ca_file=ca_file)[1]
    return response, judge(response, conditions, datetime.now(UTC))


def test_healthy_site_with_keyword_and_status(web):
    response, verdict = check(web.url("/ok"), Conditions((200,), "欢迎", 900))
    assert verdict.ok, verdict.reason
    assert response.status == 200 and response.elapsed_ms is not None


def test_slow_site_hits_the_hard_timeout(web):
    response, verdict = check(web.url("/slow"))
    assert not verdict.ok
    assert verdict.reason == f"no response within {TIMEOUT:g} s"
    assert response.elapsed_ms < (TIMEOUT + 1.0) * 1000  # the client did not wait for the page


def test_refusing_site():
    _, verdict = check(refusing_url())
    assert not verdict.ok and verdict.reason.startswith("cannot connect")


def test_wrong_keyword_5xx_and_unexpected_status(web):
    assert check(web.url("/plain"), Conditions(keyword="欢迎"))[1].reason == (
        "keyword '欢迎' not in the page")
    assert check(web.url("/500"))[1].reason == "HTTP 500"
    assert check(web.url("/ok"), Conditions((301,)))[1].reason == "HTTP 200, expected 301"


def test_max_response_time(web):
    slowish = SiteServer(slow_seconds=0.3).start()
    try:
        verdict = check(slowish.url("/slow"), Conditions(max_response_ms=100))[1]
    finally:
        slowish.stop()
    assert not verdict.ok and "max 100 ms" in verdict.reason


@pytest.mark.real_clock("OpenSSL checks certificates against the real clock")
def test_tls_verified_with_the_configured_ca_and_expiry_read(tls_sites):
    response, verdict = check(tls_sites["good"].url("/ok"), ca_file=tls_sites["ca"])
    assert verdict.ok, verdict.reason
    left = response.cert_expires_at - datetime.now(UTC)
    assert timedelta(days=29) < left <= timedelta(days=30)


@pytest.mark.real_clock("OpenSSL checks certificates against the real clock")
def test_tls_untrusted_without_the_ca(tls_sites):
    _, verdict = check(tls_sites["good"].url("/ok"))
    assert not verdict.ok and verdict.reason.startswith("TLS certificate not trusted")


@pytest.mark.real_clock("OpenSSL checks certificates against the real clock")
def test_certificate_expiring_in_three_days_is_up_but_its_expiry_is_known(tls_sites):
    response, verdict = check(tls_sites["soon"].url("/ok"), ca_file=tls_sites["ca3"])
    assert verdict.ok
    left = response.cert_expires_at - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)


def test_one_round_many_sites_bounded(web):
    targets = [Target(i, web.url(f"/ok?{i}")) for i in range(30)]
    targets.append(Target(99, refusing_url()))
    results = run_checks(targets, timeout=TIMEOUT, concurrency=5)
    assert sum(r.error is None for r in results.values()) == 30
    assert results[99].error is not None
