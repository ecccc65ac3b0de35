"""deliver-outbox under Prefect: mail given up fails the run, is counted in its artifact, and
is not mailed by the failure hook (ops get the outbox's one notice instead) — issue 13."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from prefect.states import Failed

from careops.bootstrap import get_mailer
from careops.db.uow import UnitOfWork
from careops.errors import MailGivenUp
from careops.settings import get_settings
from flows.deliver_outbox import deliver_outbox
from tasks.notify import notify_ops_of_failure
from tests.support.smtp import free_port

pytestmark = pytest.mark.usefixtures("prefect")


def _artifact(key: str) -> str:
    async def fetch():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                sort=ArtifactSort.CREATED_DESC, limit=1,
            )
            return str(found[0].data) if found else ""

    return asyncio.run(fetch())


def test_mail_given_up_fails_the_run_and_shows_in_the_artifact(sqlite_settings, smtp,
                                                               monkeypatch):
    with UnitOfWork() as uow:
        get_mailer().queue(
            uow.session, key="k1", template="ops_failure", to=["cs1@careops.test"],
            context={"flow_name": "f", "flow_run_name": "r", "state": "Failed", "message": "m",
                     "run_url": "http://x"},
        )
        uow.commit()
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(free_port()))  # SMTP down ...
    monkeypatch.setenv("CAREOPS_SMTP__MAX_ATTEMPTS", "1")  # ... and this was the last attempt
    get_settings.cache_clear()

    state = deliver_outbox(return_state=True)
    assert state.is_failed() and "1 mail(s) failed for good" in state.message
    table = _artifact("deliver-outbox")
    assert "| failed for good in this run | 1 |" in table
    assert "| failed in the outbox | 1 |" in table
    assert smtp.messages == []

    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(smtp.port))  # SMTP is back
    get_settings.cache_clear()
    assert deliver_outbox()["failed_in_outbox"] == 1
    (notice,) = smtp.to("ops@careops.local")
    assert "could not be delivered" in notice.subject or "无法投递" in notice.subject
    assert "Ops were mailed" in _artifact("deliver-outbox")


def test_the_failure_hook_leaves_given_up_mail_to_the_outbox_notice(sqlite_settings, smtp):
    run = SimpleNamespace(id=uuid.uuid4(), name="calm-heron", auto_scheduled=True)
    flow = SimpleNamespace(name="deliver-outbox")
    notify_ops_of_failure(flow, run, Failed(data=MailGivenUp("1 mail(s) failed for good")))
    assert smtp.messages == []
