"""R5 what the fault page reads (careops.web.staff.faults): on every view of a personal link.

`read_fault_page(session, fault_id)` is `fault_view` of the fault with the project's people the
routing names (`links.may_act`), read with prebuilt plain queries and no ORM object: the fault
with its project, customer and analysis in one, its timeline in two (`queries.timeline`).
Building and loading ORM objects cost the page most of its time under load (issue 19).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from careops.db.models.common import Customer, Project
from careops.db.models.faults import Fault, FaultAnalysis
from careops.services.faults.queries import FaultView, analysis_dict, build_view, timeline


@dataclass(frozen=True)
class ProjectRoleIds:
    """The project's people by role, as `recipients.ProjectPeople` reads them."""

    code: str
    sales_id: int | None
    manager_id: int | None
    ts_contact_id: int | None


@dataclass(frozen=True)
class FaultPage:
    view: FaultView
    project: ProjectRoleIds


def read_fault_page(session: Session, fault_id: int) -> FaultPage | None:
    """The fault's view and its project's people; None when there is no such fault."""
    r = session.connection().execute(_PAGE, {"id": fault_id}).first()
    if r is None:
        return None
    view = build_view(r, r.project_code, r.project_name, r.customer_name, r.contact_name,
                      timeline(session, fault_id),
                      None if r.a_id is None else analysis_dict(r, "a_"))
    return FaultPage(view, ProjectRoleIds(r.project_code, r.sales_id, r.manager_id,
                                         r.ts_contact_id))


_fault, _project = Fault.__table__, Project.__table__
_customer, _analysis = Customer.__table__, FaultAnalysis.__table__
_PAGE = (
    select(_fault, _project.c.code.label("project_code"), _project.c.name.label("project_name"),
           _project.c.sales_id, _project.c.manager_id, _project.c.ts_contact_id,
           _customer.c.name.label("customer_name"), _customer.c.contact_name,
           *(c.label(f"a_{c.name}") for c in _analysis.c if c.name != "fault_id"))
    .join_from(_fault, _project, _project.c.id == _fault.c.project_id)
    .join(_customer, _customer.c.id == _project.c.customer_id)
    .outerjoin(_analysis, _analysis.c.fault_id == _fault.c.id)
    .where(_fault.c.id == bindparam("id")))
