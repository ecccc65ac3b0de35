"""`careops stack up` when an SMTP server holds the Prefect or the catcher port (issue 17): the
same clean line as for any other holder of the port, exit 2, nothing started. Once the health
probe of the port read the SMTP greeting as HTTP and died with BadStatusLine (exit 1)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from careops.cli.main import app
from careops.settings import get_settings
from tests.support.smtp import SmtpSink, free_port


@pytest.fixture
def holder():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.mark.parametrize(("option", "what"), [("--port", "The Prefect server"),
                                              ("--smtp-port", "The SMTP catcher")])
def test_a_port_held_by_an_smtp_server_is_named(sqlite_settings, holder, monkeypatch, tmp_path,
                                                option, what):
    monkeypatch.setenv("CAREOPS_PREFECT__HOME", str(tmp_path / "prefect"))
    get_settings.cache_clear()
    ports = {"--port": free_port(), "--smtp-port": free_port(), "--web-port": free_port()}
    ports[option] = holder.port
    args = [str(a) for pair in ports.items() for a in pair]
    result = CliRunner().invoke(app, ["stack", "up", "--no-demo", "--no-worker", *args])
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"{what} cannot listen on 127.0.0.1:{holder.port}: the port is taken" in text
    assert "unexpected failure" not in text and "BadStatusLine" not in text
    assert "Prefect server answers there" not in text  # it is not a Prefect server
