"""R5 settings: department names are checked, mailbox keys normalised."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from careops.process_settings import FaultSettings
from careops.settings import Settings


def test_department_mailboxes_are_read_per_department(monkeypatch):
    monkeypatch.setenv("CAREOPS_DEPARTMENT_MAILBOXES__TS", "ts-duty@example.cn")
    boxes = Settings().department_mailboxes
    assert boxes["TS"] == "ts-duty@example.cn" and boxes["CS"] == "cs@careops.local"


def test_an_unknown_department_is_named():
    with pytest.raises(ValidationError, match="unknown department 'TX': one of CS, TS"):
        FaultSettings(minor_departments=["TX"])
    with pytest.raises(ValidationError, match="unknown department 'foo'"):
        Settings(department_mailboxes={"foo": "x@example.cn"})
