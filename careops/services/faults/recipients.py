"""R5 recipients: fault notice roles resolved to people, and who could not be reached.

A role names the project's people (sales, manager, ts_contact), a department (`dept:TS`: its
active head, else its supervisor(s), else its mailbox from `department_mailboxes`), the TS
supervisor (supervisor, else head, else the TS mailbox), senior leadership (LEADERSHIP staff,
else `leadership_emails`), the customer's contact, BIZ or ops. Nobody behind a role is never
skipped silently: it comes back as an `Unreached` for the notice and the sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.db.models.common import Department, Staff, StaffRole
from careops.db.models.faults import Fault
from careops.services.faults.env import FaultEnv

_ROLE_LABELS = {"sales": "salesperson", "manager": "manager", "ts_contact": "TS contact",
                "ts_supervisor": "TS supervisor", "leadership": "senior leadership",
                "customer": "customer contact", "biz": "BIZ", "ops": "ops"}


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str
    name: str
    audience: str = "internal"  # or "customer": gets the customer-facing mail only
    staff_id: int | None = None  # a staff member (not a mailbox): may get a personal link


@dataclass(frozen=True)
class Unreached:
    """Someone a notice should reach and cannot: the notice and the run output say so."""

    role: str  # sales, manager, ts_contact, dept:<DEPT>, ts_supervisor, leadership, customer ...
    reason: str  # missing (the project names nobody), inactive, nobody, no_email
    name: str = ""  # the person or department concerned
    project: str = ""

    @property
    def department(self) -> str:
        return self.role[5:] if self.role.startswith("dept:") else (
            "TS" if self.role == "ts_supervisor" else "")

    def describe(self) -> str:
        """One line in English for the CLI, the run logs and the timeline."""
        label = _ROLE_LABELS.get(self.role, f"department {self.department}")
        if self.reason == "missing":
            return f"{label}: project {self.project} names none"
        if self.reason == "inactive":
            return f"{label} {self.name}: inactive"
        if self.reason == "no_email":
            return (f"{label} {self.name}: no e-mail address; the report was not sent to the "
                    "customer, send it by other means")
        if self.role == "leadership":
            return f"{label}: no active LEADERSHIP staff and no leadership_emails"
        return (f"{label}: no active head or supervisor and no mailbox "
                f"(department_mailboxes.{self.department})")


def _person(session: Session, staff_id: int | None, role: str, project: str
            ) -> tuple[list[Staff], list[Unreached]]:
    person = session.get(Staff, staff_id) if staff_id else None
    if person is None:
        return [], [Unreached(role, "missing", project=project)]
    if not person.active:
        return [], [Unreached(role, "inactive", f"{person.name} ({person.code})", project)]
    return [person], []


def _by_role(session: Session, department: str, *roles: StaffRole) -> list[Staff]:
    """Active staff of `department` with the first of `roles` anyone has (no roles: all)."""
    query = select(Staff).where(Staff.department == department, Staff.active.is_(True))
    if not roles:
        return list(session.scalars(query.order_by(Staff.id)))
    for role in roles:
        people = list(session.scalars(query.where(Staff.role == role).order_by(Staff.id)))
        if people:
            return people
    return []


class ProjectPeople(Protocol):
    """What the roles of people read of a project: an ORM Project or a page's plain row."""

    code: str
    sales_id: int | None
    manager_id: int | None
    ts_contact_id: int | None


def resolve(
    session: Session, env: FaultEnv, fault: Fault, roles: list[str]
) -> tuple[list[Recipient], list[Unreached]]:
    """The people behind `roles` for this fault's project, each address once, and who of the
    roles could not be reached (nobody named, inactive, no department contact, no address)."""
    return resolve_for(session, env, fault.project, roles)


def resolve_for(
    session: Session, env: FaultEnv, project: ProjectPeople, roles: list[str]
) -> tuple[list[Recipient], list[Unreached]]:
    """`resolve` for a project (the "customer" role needs an ORM Project: its customer)."""
    out: dict[str, Recipient] = {}
    unreached: list[Unreached] = []

    def add(email: str | None, locale: str | None, name: str, audience: str = "internal",
            staff_id: int | None = None) -> None:
        if email and email.lower() not in out:
            out[email.lower()] = Recipient(email, locale or env.default_locale, name, audience,
                                           staff_id)

    def department(role: str, dept: str, *order: StaffRole) -> None:
        people = _by_role(session, dept, *order)
        for person in people:
            add(person.email, person.locale, person.name, staff_id=person.id)
        mailbox = env.department_mailboxes.get(dept)
        if not people and mailbox:
            add(mailbox, None, dept)
        elif not people:
            unreached.append(Unreached(role, "nobody", dept, project.code))

    staff_ids = {"sales": project.sales_id, "manager": project.manager_id,
                 "ts_contact": project.ts_contact_id}
    for role in roles:
        if role in staff_ids:
            people, missing = _person(session, staff_ids[role], role, project.code)
            unreached += missing
            for person in people:
                add(person.email, person.locale, person.name, staff_id=person.id)
        elif role.startswith("dept:"):
            department(role, role[5:], StaffRole.HEAD, StaffRole.SUPERVISOR)
        elif role == "ts_supervisor":
            department(role, Department.TS, StaffRole.SUPERVISOR, StaffRole.HEAD)
        elif role == "leadership":
            people = _by_role(session, Department.LEADERSHIP)
            for person in people:
                add(person.email, person.locale, person.name, staff_id=person.id)
            if not people:  # no leadership in the staff list: the configured addresses
                for email in env.leadership_emails:
                    add(email, None, "高层领导")
            if not people and not env.leadership_emails:
                unreached.append(Unreached(role, "nobody", Department.LEADERSHIP, project.code))
        elif role == "customer":
            customer = project.customer
            if customer.contact_email:
                add(customer.contact_email, customer.locale, customer.contact_name, "customer")
            else:
                who = f"{customer.contact_name} ({customer.name})"
                unreached.append(Unreached(role, "no_email", who, project.code))
        elif role == "biz":
            add(env.biz_email, None, "业务部")
        elif role == "ops":
            add(env.ops_email, None, "ops")
    return list(out.values()), unreached
