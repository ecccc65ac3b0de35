"""Delivery over STARTTLS and implicit TLS, with AUTH, to a real aiosmtpd with a test CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr

from careops.db.engine import get_engine
from careops.mail.delivery import deliver_pending
from tests.integration.test_delivery import T0, _enqueue, _settings, _statuses
from tests.support.smtp import SmtpSink
from tests.support.tls import make_certificates

pytestmark = pytest.mark.real_clock("OpenSSL checks certificates against the real clock")


def _only_right_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=auth_data.password == b"right-secret", handled=False)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> tuple[Path, object]:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(certificates) -> Iterator[SmtpSink]:
    """Refuses mail before STARTTLS and AUTH outside TLS: arrival proves both happened."""
    _ca, context = certificates
    sink = SmtpSink(tls_context=context, require_starttls=True, auth_require_tls=True,
                    auth_required=True, authenticator=_only_right_password).start()
    yield sink
    sink.stop()


@pytest.fixture
def implicit_tls_server(certificates) -> Iterator[SmtpSink]:
    _ca, context = certificates
    sink = SmtpSink(ssl_context=context).start()
    yield sink
    sink.stop()


@pytest.fixture
def engine(sqlite_only_url):
    return get_engine(sqlite_only_url)


def test_starttls_with_auth_delivers(engine, starttls_server, certificates):
    ca, _context = certificates
    _enqueue(engine, 3)
    smtp = _settings(starttls_server.host, starttls_server.port, security="starttls",
                     ca_file=ca, username="careops", password=SecretStr("right-secret"))

    report = deliver_pending(engine, smtp, now=lambda: T0)

    assert (report.sent, report.errors) == (3, [])
    assert len(starttls_server.messages) == 3


def test_implicit_tls_delivers(engine, implicit_tls_server, certificates):
    ca, _context = certificates
    _enqueue(engine, 2)
    smtp = _settings(implicit_tls_server.host, implicit_tls_server.port, security="ssl",
                     ca_file=ca)

    assert deliver_pending(engine, smtp, now=lambda: T0).sent == 2
    assert len(implicit_tls_server.messages) == 2


def test_untrusted_certificate_keeps_the_mail_and_names_the_server(engine, starttls_server):
    _enqueue(engine, 2)
    smtp = _settings(starttls_server.host, starttls_server.port, security="starttls",
                     username="careops", password=SecretStr("right-secret"))  # no ca_file

    report = deliver_pending(engine, smtp, now=lambda: T0)

    assert report.sent == 0 and starttls_server.messages == []
    assert f"{starttls_server.host}:{starttls_server.port}" in report.unreachable
    assert "right-secret" not in " ".join(report.errors)
    assert _statuses(engine)["pending"] == 2


def test_plain_connection_is_refused_by_a_starttls_only_server(engine, starttls_server):
    _enqueue(engine, 1)
    report = deliver_pending(engine, _settings(starttls_server.host, starttls_server.port),
                             now=lambda: T0)
    assert report.sent == 0 and starttls_server.messages == []


