"""R3 "I'm on it": a staff member acknowledges a site incident (PagerDuty's acknowledge).

An alert names what it is about with a subject: `incident:<id>` (one site's alert or
reminder) or `group:<period>:<round, UTC %Y%m%dT%H%MZ>` (a grouped alert: every alerted
incident whose site failed that round). `show_alert` is the read model of the page;
`acknowledge` records who and when on each open, unacknowledged incident (the first one
wins: a second acknowledgement changes nothing and says who was first). rounds.py sends no
more reminders for an acknowledged incident; its recovery notice still goes and names who
acknowledged it, and the availability report counts its downtime as before.
The staff page (careops/web/staff/alerts.py) and `careops watch ack` both call `acknowledge`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from careops.db.models.common import Staff
from careops.db.models.watch import SiteCheck, SiteIncident
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, NotFound

STAMP = "%Y%m%dT%H%MZ"


def incident_subject(incident_id: int) -> str:
    return f"incident:{incident_id}"


def group_subject(period_id: str, at: datetime) -> str:
    return f"group:{period_id}:{at.astimezone(UTC):{STAMP}}"


@dataclass(frozen=True)
class IncidentView:
    id: int
    url: str
    project_code: str
    project_name: str
    customer_name: str
    started_at: datetime
    ended_at: datetime | None
    last_error: str
    reminders: int
    latest: dict | None  # the latest check: at, ok, status, ms, error
    acknowledged_by: str | None
    acknowledged_code: str | None
    acknowledged_at: datetime | None

    def down_minutes(self, now: datetime) -> int:
        return round(((self.ended_at or now) - self.started_at).total_seconds() / 60)


@dataclass(frozen=True)
class AlertView:
    subject: str
    incidents: list[IncidentView]

    @property
    def open_ids(self) -> list[int]:
        return [i.id for i in self.incidents if i.ended_at is None]


@dataclass
class AckResult:
    acknowledged: list[int] = field(default_factory=list)
    # incidents someone acknowledged first: (id, name, code, at)
    already: list[tuple[int, str, str, datetime]] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)  # back up already: nothing to acknowledge


def _ids_for(session, subject: str) -> list[int]:
    kind, _, rest = subject.partition(":")
    if kind == "incident" and rest.isdigit():
        return [int(rest)] if session.get(SiteIncident, int(rest)) is not None else []
    if kind == "group":
        period_id, _, stamp = rest.rpartition(":")
        try:
            at = datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
        except ValueError:
            return []
        failed = select(SiteCheck.site_id).where(SiteCheck.at == at, SiteCheck.ok.is_(False))
        return list(session.scalars(select(SiteIncident.id).where(
            SiteIncident.period_id == period_id, SiteIncident.alerted_at <= at,
            SiteIncident.site_id.in_(failed),
            (SiteIncident.ended_at.is_(None)) | (SiteIncident.ended_at > at))
            .order_by(SiteIncident.id)))
    return []


def _latest(session, site_id: int) -> dict | None:
    check = session.scalars(select(SiteCheck).where(SiteCheck.site_id == site_id)
                            .order_by(SiteCheck.at.desc()).limit(1)).first()
    if check is None:
        return None
    return {"at": check.at, "ok": check.ok, "status": check.status_code,
            "ms": check.response_ms, "error": check.error or ""}


def _view(session, incident: SiteIncident) -> IncidentView:
    site = incident.site
    by = incident.acknowledged_by
    return IncidentView(
        incident.id, site.url, site.project.code, site.project.name, site.project.customer.name,
        incident.started_at, incident.ended_at, incident.last_error, incident.reminders,
        _latest(session, site.id), by.name if by else None, by.code if by else None,
        incident.acknowledged_at)


def show_alert(uow: UnitOfWork, subject: str) -> AlertView:
    """The incidents an alert's subject names (NotFound when none)."""
    with uow:
        session = uow.session
        ids = _ids_for(session, subject)
        if not ids:
            raise NotFound(f"no site incident for {subject!r}")
        incidents = session.scalars(select(SiteIncident).where(SiteIncident.id.in_(ids))
                                    .order_by(SiteIncident.started_at, SiteIncident.id))
        return AlertView(subject, [_view(session, i) for i in incidents])


def acknowledge(uow: UnitOfWork, incident_ids: list[int], now: datetime, *,
                staff_id: int | None = None, staff_code: str | None = None,
                via: str = "cli") -> AckResult:
    """`staff` is on it: each open, unacknowledged incident of `incident_ids` is marked (one
    transaction; commits only when something was marked)."""
    if not incident_ids:
        raise CareopsError("name at least one incident to acknowledge")
    out = AckResult()
    with uow:
        session = uow.session
        staff = (session.get(Staff, staff_id) if staff_id is not None else
                 session.scalars(select(Staff).where(Staff.code == staff_code)).first())
        if staff is None or not staff.active:
            raise NotFound(f"no active staff member {staff_code or staff_id!r}")
        periods = sorted(set(session.scalars(select(SiteIncident.period_id).where(
            SiteIncident.id.in_(incident_ids)))) - {None})
        for period_id in periods:  # the rounds of these periods wait (no reminder races it)
            uow.lock(f"careops.watch.{period_id}")
        found = {i.id: i for i in session.scalars(select(SiteIncident).where(
            SiteIncident.id.in_(incident_ids)).with_for_update())}
        missing = sorted(set(incident_ids) - set(found))
        if missing:
            raise NotFound(f"no site incident {', '.join(map(str, missing))}")
        for incident_id in sorted(found):
            incident = found[incident_id]
            if incident.acknowledged_at is not None:
                by = incident.acknowledged_by
                out.already.append((incident.id, by.name if by else "?",
                                    by.code if by else "?", incident.acknowledged_at))
            elif incident.ended_at is not None:
                out.ended.append(incident.id)
            else:
                incident.acknowledged_by_id, incident.acknowledged_at = staff.id, now
                incident.acknowledged_via = via
                out.acknowledged.append(incident.id)
        if out.acknowledged:
            uow.commit()
    return out


def ack_facts(incident: SiteIncident) -> dict:
    """What a mail about `incident` says of its acknowledgement (empty when nobody did)."""
    by = incident.acknowledged_by
    if by is None or incident.acknowledged_at is None:
        return {}
    return {"acknowledged_by": by.name, "acknowledged_at": incident.acknowledged_at}
