"""R3 checks now, for chosen sites (`check-sites`, `careops watch check --site …`).

The results are stored (period None, at the moment of the check) and returned; they never
move a site's streak or open an incident: a person re-checking a site at 02:00 should not
make its alert come sooner or later than the rounds would.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.watch import MonitoredSite, SiteCheck
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.rules.site_conditions import Conditions, Response, judge


def resolve_sites(uow: UnitOfWork, names: list[str]) -> list[int]:
    """Site ids for URLs or project codes (a project's every site); `[]`: every active site.
    An unknown one is a CareopsError naming it."""
    with uow:
        sites = uow.session.scalars(select(MonitoredSite)).all()
        if not names:
            return [s.id for s in sites if s.active]
        out: list[int] = []
        for name in names:
            found = [s.id for s in sites if s.url == name or s.project.code == name]
            if not found:
                raise CareopsError(f"no monitored site with URL or project code {name!r} "
                                   "(careops import sites FILE adds them)")
            out += [i for i in found if i not in out]
        return out


def record_adhoc(uow: UnitOfWork, results: dict[int, Response], now: datetime) -> list[dict]:
    with uow:
        session = uow.session
        sites = {s.id: s for s in session.scalars(
            select(MonitoredSite).where(MonitoredSite.id.in_(list(results))))}
        rows, out = [], []
        for sid, response in results.items():
            site = sites[sid]
            verdict = judge(response, Conditions.parse(
                site.expected_status, site.keyword, site.max_response_ms), now)
            rows.append({"site_id": sid, "at": now, "period_id": None, "ok": verdict.ok,
                         "status_code": response.status, "response_ms": response.elapsed_ms,
                         "error": (verdict.reason or "")[:300] or None,
                         "cert_expires_at": response.cert_expires_at})
            out.append({"site": site.url, "project": site.project.code,
                        "ok": verdict.ok, "status": response.status,
                        "ms": response.elapsed_ms, "error": verdict.reason or "",
                        "certificate expires": response.cert_expires_at.date().isoformat()
                        if response.cert_expires_at else ""})
        insert_ignoring_duplicates(session, SiteCheck, rows, ["site_id", "at"])
        uow.commit()
    return sorted(out, key=lambda r: (r["ok"], r["site"]))
