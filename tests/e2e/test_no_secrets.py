"""No secret in any output, log, artifact or run parameter (issue 13, defect 4; issue 12).

The database URL carries a password (PostgreSQL's trust auth accepts and ignores it), SMTP
logs in with a password (to an authenticating aiosmtpd on loopback, `allow_plain_auth`) and a
Prefect API auth string is configured (CAREOPS_PREFECT__AUTH_STRING). The commands and flows
run, and every output, log file, Prefect log, artifact, run parameter and state message is
searched for all three (tests/support/secrets.py). The running stack of
tests/e2e/test_scheduler.py requires that auth string: its last test searches everything that
stack wrote (console output, var/prefect logs and databases, mail, runs, logs, artifacts).
"""

from __future__ import annotations

import asyncio
import io
from datetime import date

import pytest
from aiosmtpd.smtp import AuthResult
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, FlowRunFilter, LogFilter
from rich.console import Console
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from careops import bootstrap
from careops.db.uow import UnitOfWork
from careops.settings import get_settings
from tests.support.factories import World
from tests.support.secrets import AUTH_SECRET, DB_SECRET, SMTP_SECRET
from tests.support.secrets import assert_clean as _clean
from tests.support.smtp import SmtpSink


@pytest.fixture
def authenticating_smtp():
    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        return AuthResult(success=auth_data.password == SMTP_SECRET.encode(), handled=False)

    sink = SmtpSink(authenticator=authenticator, auth_require_tls=False).start()
    yield sink
    sink.stop()


@pytest.fixture
def secret_settings(settings, authenticating_smtp, monkeypatch, tmp_path):
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":  # SQLite URLs hold no password: SMTP's only
        url = url.set(password=DB_SECRET)
    monkeypatch.setenv("CAREOPS_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(authenticating_smtp.port))
    monkeypatch.setenv("CAREOPS_SMTP__USERNAME", "careops")
    monkeypatch.setenv("CAREOPS_SMTP__PASSWORD", SMTP_SECRET)
    monkeypatch.setenv("CAREOPS_SMTP__ALLOW_PLAIN_AUTH", "true")
    monkeypatch.setenv("CAREOPS_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", AUTH_SECRET)
    get_settings.cache_clear()
    bootstrap.reset()
    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    yield get_settings()
    get_settings.cache_clear()


def test_commands_print_no_secret(secret_settings, authenticating_smtp, monkeypatch, tmp_path):
    from careops.cli.main import app

    runner = CliRunner()
    outputs = []
    for args in (["db", "upgrade"], ["callbacks", "plan", "--month", "2026-02"],
                 ["outbox", "list", "--status", "all"], ["outbox", "deliver"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert len(authenticating_smtp.to("cs1@careops.test")) == 1
    if secret_settings.database_url.startswith("postgresql"):
        assert "***" in outputs[0]
        # a fault: the database is not there
        missing = make_url(secret_settings.database_url).set(database="careops_no_such_db")
        monkeypatch.setenv("CAREOPS_DATABASE_URL", missing.render_as_string(hide_password=False))
        get_settings.cache_clear()
        fault = runner.invoke(app, ["callbacks", "list", "--month", "2026-02"])
        assert fault.exit_code == 3 and "***" in fault.output, fault.output
        outputs.append(fault.output)
    for output in outputs:
        _clean(output, "CLI output")
    for log in (tmp_path / "log").glob("*"):
        _clean(log.read_text(encoding="utf-8"), str(log))


def test_stack_up_prints_the_database_masked(secret_settings, monkeypatch):
    from careops.errors import StackError
    from careops.stack import StackConfig
    from careops.stack import runner as stack_runner
    from careops.stack.processes import free_port

    class NoServer:  # stop right after the database and the catcher are up
        def __init__(self, *args, **kwargs) -> None:
            pass

        def start(self):
            raise StackError("the test stops before the Prefect server")

    monkeypatch.setattr(stack_runner, "Child", NoServer)
    config = StackConfig.from_settings(
        get_settings(), port=free_port(), smtp_port=free_port(), demo=False, worker=False
    )
    out = io.StringIO()
    stack = stack_runner.Stack(config, Console(file=out, width=200))
    with pytest.raises(StackError):
        stack.up()
    stack.down()
    if config.database_url.startswith("postgresql"):
        assert "database migrated: postgresql+psycopg://postgres:***@" in out.getvalue()
    assert config.child_env()["PREFECT_SERVER_API_AUTH_STRING"] == AUTH_SECRET
    assert AUTH_SECRET not in repr(get_settings())  # a SecretStr
    _clean(out.getvalue() + repr(config), "careops stack up")


@pytest.mark.usefixtures("prefect")
def test_flow_runs_keep_no_secret(secret_settings, authenticating_smtp, monkeypatch):
    from flows.deliver_outbox import deliver_outbox
    from flows.plan_callbacks import PlanCallbacksParams, plan_callbacks

    planned = plan_callbacks(PlanCallbacksParams(month="2026-02"), return_state=True)
    assert planned.is_completed() and len(authenticating_smtp.messages) == 1
    # an SMTP login the server refuses, on the last attempt: the run fails, nothing leaks
    with UnitOfWork() as uow:
        bootstrap.get_mailer().queue(
            uow.session, key="k", template="ops_failure", to=["cs1@careops.test"],
            context={"flow_name": "f", "flow_run_name": "r", "state": "s", "message": "m",
                     "run_url": "http://x"},
        )
        uow.commit()
    monkeypatch.setenv("CAREOPS_SMTP__PASSWORD", SMTP_SECRET + "-wrong")
    monkeypatch.setenv("CAREOPS_SMTP__MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    refused = deliver_outbox(return_state=True)
    assert refused.is_failed() and "refused login" in refused.message
    from flows.doctor import doctor  # its artifact and mail show the database and SMTP checks

    checked = doctor(return_state=True)
    assert checked.name == "Problems found" and "smtp" in checked.message
    run_ids = [planned.state_details.flow_run_id, refused.state_details.flow_run_id,
               checked.state_details.flow_run_id]

    async def everything() -> str:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id={"any_": run_ids})
            )
            logs = await client.read_logs(log_filter=LogFilter(flow_run_id={"any_": run_ids}))
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id={"any_": run_ids})
            )
        texts = [str(r.parameters) + str(r.state.message) for r in runs]
        texts += [log.message for log in logs] + [str(a.data) for a in artifacts]
        assert len(runs) == 3 and logs and artifacts
        return "\n".join(texts)

    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()  # the logs go to the API in batches
    collected = asyncio.run(everything())
    assert "refused login as 'careops'" in collected
    assert "| database | ok |" in collected  # the doctor's artifact
    _clean(collected + str(planned.message) + str(refused.message) + str(checked.message),
           "Prefect runs and logs")
