"""Failed scheduled runs are mailed to ops (once per flow and hour); bad ad-hoc input is not."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from prefect.states import Failed

from careops.errors import CareopsError
from tasks.notify import notify_ops_of_failure


def _run(auto_scheduled: bool) -> SimpleNamespace:
    return SimpleNamespace(id=uuid.uuid4(), name="brave-otter", auto_scheduled=auto_scheduled)


FLOW = SimpleNamespace(name="plan-callbacks")


@pytest.mark.usefixtures("prefect")
def test_scheduled_failure_is_mailed_once_per_hour(sqlite_settings, smtp):
    state = Failed(message="boom", data=RuntimeError("database exploded"))
    notify_ops_of_failure(FLOW, _run(True), state)
    notify_ops_of_failure(FLOW, _run(True), state)

    (mail,) = smtp.to("ops@careops.local")
    assert "plan-callbacks" in mail.subject and "brave-otter" in mail.subject
    assert "database exploded" in mail.text()


@pytest.mark.usefixtures("prefect")
def test_bad_input_in_an_ad_hoc_run_is_not_mailed(sqlite_settings, smtp):
    notify_ops_of_failure(FLOW, _run(False), Failed(data=CareopsError("unknown project 'X'")))
    assert smtp.messages == []
