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

from sqlalchemy import Row, bindparam, select

from careops.db.base import UTCDateTime
from careops.db.models.common import Customer, Project, Staff
from careops.db.models.watch import MonitoredSite, SiteCheck, SiteIncident
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


def show_alert(uow: UnitOfWork, subject: str) -> AlertView:
    """The incidents an alert's subject names (NotFound when none), by start: one prebuilt
    plain query (`_BY_ID` or `_BY_ROUND`)."""
    kind, _, rest = subject.partition(":")
    query, params = None, {}
    if kind == "incident" and rest.isdigit():
        query, params = _BY_ID, {"id": int(rest)}
    elif kind == "group":
        period_id, _, stamp = rest.rpartition(":")
        try:
            at = datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
        except ValueError:
            pass
        else:
            query, params = _BY_ROUND, {"period": period_id, "at": at}
    rows = []
    if query is not None:
        with uow:
            rows = uow.session.connection().execute(query, params).all()
    if not rows:
        raise NotFound(f"no site incident for {subject!r}")
    return AlertView(subject, [_view(r) for r in rows])


def _view(r: Row) -> IncidentView:
    latest = None if r.check_id is None else {
        "at": r.check_at, "ok": r.check_ok, "status": r.status_code, "ms": r.response_ms,
        "error": r.check_error or ""}
    return IncidentView(
        r.id, r.url, r.project_code, r.project_name, r.customer_name, r.started_at,
        r.ended_at, r.last_error, r.reminders, latest, r.by_name, r.by_code, r.acknowledged_at)


# The alert page reads on every view: built once here (not per request) as plain Core over
# the tables, an incident with its site, project, customer, who acknowledged it and its
# site's latest check (by `at`, unique per site) in one row.
_inc, _site = SiteIncident.__table__, MonitoredSite.__table__
_project, _customer = Project.__table__, Customer.__table__
_by = Staff.__table__.alias("acked_by")
_check, _later = SiteCheck.__table__.alias("latest"), SiteCheck.__table__.alias("later")
_failed = SiteCheck.__table__.alias("failed")
_LATEST_ID = (select(_later.c.id).where(_later.c.site_id == _site.c.id)
              .order_by(_later.c.at.desc()).limit(1).correlate(_site).scalar_subquery())
_ALERT = (
    select(_inc.c.id, _site.c.url, _project.c.code.label("project_code"),
           _project.c.name.label("project_name"), _customer.c.name.label("customer_name"),
           _inc.c.started_at, _inc.c.ended_at, _inc.c.last_error, _inc.c.reminders,
           _check.c.id.label("check_id"), _check.c.at.label("check_at"),
           _check.c.ok.label("check_ok"), _check.c.status_code, _check.c.response_ms,
           _check.c.error.label("check_error"), _by.c.name.label("by_name"),
           _by.c.code.label("by_code"), _inc.c.acknowledged_at)
    .join_from(_inc, _site, _site.c.id == _inc.c.site_id)
    .join(_project, _project.c.id == _site.c.project_id)
    .join(_customer, _customer.c.id == _project.c.customer_id)
    .outerjoin(_check, _check.c.id == _LATEST_ID)
    .outerjoin(_by, _by.c.id == _inc.c.acknowledged_by_id)
    .order_by(_inc.c.started_at, _inc.c.id))
_BY_ID = _ALERT.where(_inc.c.id == bindparam("id"))
# a grouped alert: every incident of the period alerted by the round whose site failed it
# and that had not ended by then
_at = bindparam("at", type_=UTCDateTime())
_BY_ROUND = _ALERT.where(
    _inc.c.period_id == bindparam("period"), _inc.c.alerted_at <= _at,
    _inc.c.site_id.in_(select(_failed.c.site_id).where(_failed.c.at == _at,
                                                       _failed.c.ok.is_(False))),
    _inc.c.ended_at.is_(None) | (_inc.c.ended_at > _at))


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
