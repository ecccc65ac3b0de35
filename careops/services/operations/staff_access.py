"""Who a staff link lets in, its revocation, and the record of what was done through it.

`staff_for_claim` checks a genuine token against the database: the person exists and is
active, the token was mailed to their address as stored now, and it is of their current link
generation (`revoke_links` bumps it). `AuditedUnitOfWork` is the unit of work a staff page
hands to the ordinary service function (the same one the CLI and the flows call): when the
service commits, one `staff_action` row (person, action, item, time, "via link") goes into the
same transaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, select

from careops.db.models.common import Staff
from careops.db.models.staff_actions import StaffAction
from careops.db.uow import UnitOfWork
from careops.errors import NotFound
from careops.staff_links import LinkInvalid, LinkRevoked, StaffClaim
from careops.web.tokens import same_recipient


@dataclass(frozen=True)
class StaffPerson:
    id: int
    code: str
    name: str
    email: str
    locale: str
    department: str
    role: str
    generation: int


def _person(staff: Staff) -> StaffPerson:
    return StaffPerson(staff.id, staff.code, staff.name, staff.email, staff.locale,
                       str(staff.department), str(staff.role), staff.link_generation)


_s = Staff.__table__.c
_CLAIMED = select(_s.id, _s.code, _s.name, _s.email, _s.locale, _s.department, _s.role,
                  _s.link_generation, _s.active).where(_s.id == bindparam("id"))


def staff_for_claim(uow: UnitOfWork, claim: StaffClaim) -> StaffPerson:
    """The person a genuine token names, if it still lets them in (LinkInvalid, LinkRevoked)."""
    with uow:  # every staff page's first read: one plain row, no ORM object
        staff = uow.session.connection().execute(_CLAIMED, {"id": claim.staff_id}).first()
    if staff is None or not staff.active or not same_recipient(claim, staff.email):
        raise LinkInvalid("this link names no active staff member at that address")
    if staff.link_generation != claim.generation:
        raise LinkRevoked(f"{staff.code}'s links were revoked after this one was made")
    return _person(staff)


def revoke_links(uow: UnitOfWork, code: str) -> StaffPerson:
    """Invalidate every personal link `code` holds; the next mails carry new ones."""
    with uow:
        staff = uow.session.scalars(
            select(Staff).where(Staff.code == code).with_for_update()).first()
        if staff is None:
            raise NotFound(f"unknown staff code {code!r}")
        staff.link_generation += 1
        person = _person(staff)
        uow.commit()
    return person


def staff_actions(uow: UnitOfWork, code: str | None = None, limit: int = 50) -> list[dict]:
    """The latest actions taken through links, newest first (of one person when `code`)."""
    with uow:
        query = select(StaffAction, Staff.code).join(Staff, Staff.id == StaffAction.staff_id)
        if code is not None:
            query = query.where(Staff.code == code)
        rows = uow.session.execute(query.order_by(StaffAction.at.desc(),
                                                  StaffAction.id.desc()).limit(limit))
        return [{"at": a.at, "staff": c, "action": a.action, "subject": a.subject,
                 "via": a.via, "detail": a.detail} for a, c in rows]


class AuditedUnitOfWork(UnitOfWork):
    """A unit of work whose first commit also records one staff action (then plain)."""

    def __init__(self, engine: Engine | None, *, staff_id: int, action: str, subject: str,
                 now: datetime, via: str = "link", detail: str | None = None,
                 serial: threading.RLock | None = None) -> None:
        super().__init__(engine, serial=serial)
        self._row: dict | None = {"staff_id": staff_id, "action": action,
                                  "subject": subject, "via": via, "at": now, "detail": detail}
        self.recorded = False

    def commit(self) -> None:
        if self._row is not None:
            self.session.add(StaffAction(**self._row))
            self._row = None
            self.recorded = True
        super().commit()
