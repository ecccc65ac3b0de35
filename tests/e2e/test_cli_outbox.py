"""`careops outbox list|show|retry|deliver` through typer's CliRunner (issue 13, defect 2)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from typer.testing import CliRunner

from careops.cli.common import console
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.db.uow import UnitOfWork
from tests.support.factories import World

runner = CliRunner()


def _flat(output: str) -> str:
    return " ".join(output.split())


def test_failed_mail_listed_shown_retried_and_delivered(settings, smtp, monkeypatch):
    from careops.cli.main import app

    monkeypatch.setattr(console, "width", 250)
    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1", name="华东电气有限公司"), date(2026, 1, 14))
    planned = runner.invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    assert planned.exit_code == 0, planned.output
    with UnitOfWork() as uow:  # as if given up after max_attempts
        uow.session.execute(
            update(OutboxMessage).values(status=OutboxStatus.FAILED, attempts=8,
                                         last_error="550 mailbox unavailable")
        )
        uow.commit()
        message_id = uow.session.query(OutboxMessage.id).scalar()

    listed = runner.invoke(app, ["outbox", "list", "--status", "failed"])
    assert listed.exit_code == 0, listed.output
    text = _flat(listed.output)
    assert "1 failed message(s)" in text and "cs1@careops.test" in text
    assert "550 mailbox unavailable" in text and "call_list" in text

    shown = runner.invoke(app, ["outbox", "show", str(message_id)])
    assert shown.exit_code == 0, shown.output
    text = _flat(shown.output)
    assert "cs1@careops.test" in text and "回访清单" in text and "attempts 8" in text
    assert "华东电气有限公司" not in shown.output  # the body only when asked
    with_body = runner.invoke(app, ["outbox", "show", str(message_id), "--body"])
    assert "华东电气有限公司" in with_body.output

    again = runner.invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    assert "1 failed mail(s) in the outbox" in _flat(again.output)

    retried = runner.invoke(app, ["outbox", "retry", str(message_id)])
    assert retried.exit_code == 0 and "1 message(s) back in the outbox" in retried.output
    assert runner.invoke(app, ["outbox", "retry", str(message_id)]).exit_code == 2  # pending

    delivered = runner.invoke(app, ["outbox", "deliver"])
    assert delivered.exit_code == 0, delivered.output
    assert "1 mail(s) sent, 0 waiting, 0 failed" in delivered.output
    assert len(smtp.to("cs1@careops.test")) == 2  # planned, then resent
    assert len(smtp.to("ops@careops.local")) == 1  # told once, when the plan ran again


def test_deliver_exits_1_while_smtp_is_down(sqlite_settings, monkeypatch):
    from careops.cli.main import app
    from careops.settings import get_settings
    from tests.support.smtp import free_port

    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(free_port()))
    get_settings.cache_clear()
    runner.invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    result = runner.invoke(app, ["outbox", "deliver"])
    assert result.exit_code == 1
    assert "kept in the outbox and retried automatically" in _flat(result.output)


def test_show_names_an_unknown_message(sqlite_settings):
    from careops.cli.main import app

    result = runner.invoke(app, ["outbox", "show", "424242"])
    assert result.exit_code == 2 and "no outbox message 424242" in result.output


def test_a_rerun_after_a_killed_delivery_says_what_is_leased_until_when(settings, smtp):
    from datetime import UTC, datetime, timedelta

    from careops import outbox
    from careops.cli.main import app

    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    with UnitOfWork() as uow:
        from careops.bootstrap import get_calendar, get_mailer
        from careops.months import Month
        from careops.services.callbacks.planning import plan_and_notify

        plan_and_notify(uow, Month(2026, 2), get_calendar(), get_mailer(), datetime.now(UTC))
        now = datetime.now(UTC)
        assert len(outbox.claim_due(uow.engine, limit=10, now=now, lease=timedelta(minutes=5)))
    # ... the delivery was killed here, with the call list leased
    result = runner.invoke(app, ["outbox", "deliver"])
    text = _flat(result.output)
    assert "0 mail(s) sent" in text and "1 mail(s) are being sent by another delivery" in text
    assert "leased until 20" in text and "(Asia/Shanghai), then retried" in text


def test_a_refused_recipient_is_named_and_deliver_exits_1(sqlite_settings, smtp, monkeypatch):
    """550 for one of three (issue 17): the others get it once; list, show and deliver name
    the refused address; deliver exits 1 once it is given up."""
    from careops.bootstrap import get_mailer
    from careops.cli.main import app
    from careops.settings import get_settings

    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setenv("CAREOPS_SMTP__MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    to = ["a@careops.test", "b@careops.test", "c@careops.test"]
    with UnitOfWork() as uow:
        get_mailer().queue(uow.session, key="three", template="ops_failure", to=to,
                           context={"flow_name": "f", "flow_run_name": "r", "state": "Failed",
                                    "message": "m", "run_url": "http://x"})
        uow.commit()
        message_id = uow.session.query(OutboxMessage.id).scalar()
    smtp.refuse("b@careops.test", "550 5.1.1 no such user here")

    delivered = runner.invoke(app, ["outbox", "deliver"])
    assert delivered.exit_code == 1, delivered.output
    text = _flat(delivered.output)
    assert "1 mail(s) failed for good (refused by the server: b@careops.test (550" in text
    assert [len(smtp.to(a)) for a in to] == [1, 0, 1]
    assert len(smtp.to("ops@careops.local")) == 1

    listed = _flat(runner.invoke(app, ["outbox", "list", "--status", "failed"]).output)
    assert "b@careops.test (550 5.1.1 no such user here)" in listed
    shown = runner.invoke(app, ["outbox", "show", str(message_id)])
    assert shown.exit_code == 0, shown.output
    text = _flat(shown.output.replace("│", " "))  # the table's cells, one line each
    assert "a@careops.test sent 250 OK" in text and "c@careops.test sent 250 OK" in text
    assert "b@careops.test failed 550 5.1.1 no such user here" in text
    again = runner.invoke(app, ["outbox", "deliver"])
    assert again.exit_code == 0 and len(smtp.to("ops@careops.local")) == 1  # told once
