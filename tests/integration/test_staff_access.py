"""Staff links against the database: the person named, revocation, the record of actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from careops.cli.main import app
from careops.db.models.common import Department, Staff, StaffRole
from careops.db.models.staff_actions import StaffAction
from careops.errors import NotFound
from careops.services.operations.staff_access import (
    AuditedUnitOfWork,
    revoke_links,
    staff_actions,
    staff_for_claim,
)
from careops.staff_links import LinkInvalid, LinkRevoked, StaffLinks

NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
LATER = datetime(2027, 1, 7, 16, 0, tzinfo=UTC)
LINKS = StaffLinks("k" * 48, "http://x")


@pytest.fixture
def person(uow) -> Staff:
    with uow:
        staff = Staff(code="CS9", name="李明", department=Department.CS, role=StaffRole.MEMBER,
                      email="li.ming@example.test", locale="en")
        uow.session.add(staff)
        uow.commit()
    return staff


def _claim(staff: Staff, **over):
    values = {"staff_id": staff.id, "recipient": staff.email, "generation": 0,
              "scope": "calls", "subject": "2026-12", "expires": LATER} | over
    return LINKS.read(LINKS.token(**values), values["scope"], NOW)


def test_the_link_names_its_person(uow, person) -> None:
    found = staff_for_claim(uow, _claim(person))
    assert (found.code, found.locale, found.generation) == ("CS9", "en", 0)
    with pytest.raises(LinkInvalid):  # genuine, but made for another address
        staff_for_claim(uow, _claim(person, recipient="someone@else.test"))
    with pytest.raises(LinkInvalid):
        staff_for_claim(uow, _claim(person, staff_id=person.id + 100))
    with uow:
        uow.session.get(Staff, person.id).active = False
        uow.commit()
    with pytest.raises(LinkInvalid):  # someone who left
        staff_for_claim(uow, _claim(person))


def test_revoking_stops_every_earlier_link_and_not_the_next(uow, person) -> None:
    old = _claim(person)
    assert revoke_links(uow, "CS9").generation == 1
    with pytest.raises(LinkRevoked):
        staff_for_claim(uow, old)
    assert staff_for_claim(uow, _claim(person, generation=1)).code == "CS9"
    with pytest.raises(NotFound, match="NOPE"):
        revoke_links(uow, "NOPE")


def test_an_action_is_recorded_only_when_its_service_commits(uow, person) -> None:
    audited = AuditedUnitOfWork(uow.engine, staff_id=person.id, action="callback.record",
                                subject="callback:1", now=NOW, detail="reached")
    with audited:  # a service that refuses (rolls back) records nothing
        audited.session.add(Staff(code="X", name="x", department=Department.CS, email="x@x.test"))
    with audited:
        audited.session.get(Staff, person.id).phone = "123"
        audited.commit()
    with audited:  # a second commit in the same service: one row in all
        audited.commit()
    with uow:
        rows = uow.session.scalars(select(StaffAction)).all()
        assert [(r.action, r.subject, r.via, r.at) for r in rows] == [
            ("callback.record", "callback:1", "link", NOW)]
        assert uow.session.scalar(select(Staff.id).where(Staff.code == "X")) is None
    assert staff_actions(uow, "CS9")[0]["detail"] == "reached"


def test_cli_revoke_and_actions(settings, uow, person) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["links", "revoke", "--staff", "CS9"])
    assert result.exit_code == 0, result.output
    assert "CS9" in result.output and "revoked" in result.output
    with uow:
        assert uow.session.get(Staff, person.id).link_generation == 1
    missing = runner.invoke(app, ["links", "revoke", "--staff", "NOPE"])
    assert missing.exit_code == 2 and "NOPE" in missing.output
    listed = runner.invoke(app, ["links", "actions", "--staff", "CS9"])
    assert listed.exit_code == 0, listed.output
