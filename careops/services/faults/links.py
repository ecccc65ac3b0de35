"""R5 personal links: which fault mail carries which step's link, to whom, until when.

One link per step and person (staff link scope "fault", subject `fault:<id>:<step>`):
- `file`: the responsible manager files a major fault (the notice, the filing reminder and the
  escalations). Valid 7 days after the mail: filing is due within hours and every chase brings
  a fresh link; a week covers a long weekend, after that the CLI still works.
- `resolve`: the project's TS contact (the handler) or the manager records the end (the
  notice). Valid 30 days after the mail: a fault can take weeks to end and only the notice
  carries this link.
- `analysis`: the TS supervisor (else TS head) submits the analysis (the request and its
  chases). Valid until the analysis deadline + 7 days (each overdue chase brings a fresh one);
  30 days after the mail while the deadline waits for an unpublished calendar year.

Who may act is checked again on the page (`may_act`): the token only names the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from careops.db.models.common import Staff
from careops.db.models.faults import Fault
from careops.rules.faults import FaultSeverity, FaultState, Purpose
from careops.services.faults.env import FaultEnv
from careops.services.faults.recipients import ProjectPeople, Recipient, resolve_for

SCOPE = "fault"
STEPS = ("file", "resolve", "analysis")
STEP_ROLES: dict[str, list[str]] = {
    "file": ["manager"],
    "resolve": ["ts_contact", "manager"],
    "analysis": ["ts_supervisor"],
}
PURPOSE_STEPS: dict[Purpose, tuple[str, ...]] = {
    Purpose.NOTICE: ("file", "resolve"),
    Purpose.FILING_REMINDER: ("file",),
    Purpose.FILING_ESCALATION: ("file",),
    Purpose.ANALYSIS_REQUEST: ("analysis",),
    Purpose.ANALYSIS_REMINDER: ("analysis",),
    Purpose.ANALYSIS_OVERDUE: ("analysis",),
}
PROJECT_ROLES = ("sales", "manager", "ts_contact")  # a project names them: <role>_id
FILE_DAYS, RESOLVE_DAYS, ANALYSIS_GRACE_DAYS, PENDING_DAYS = 7, 30, 7, 30


@dataclass(frozen=True)
class StepLink:
    step: str
    url: str
    expires: datetime


def subject(fault_id: int, step: str) -> str:
    return f"fault:{fault_id}:{step}"


def parse_subject(text: str) -> tuple[int, str] | None:
    """(fault id, step) of a link's subject, None for anything else."""
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != "fault" or not parts[1].isdigit() or parts[2] not in STEPS:
        return None
    return int(parts[1]), parts[2]


def step_open(state: str, step: str) -> bool:
    """Whether a fault in `state` still waits for `step` (a link to a done step shows "done")."""
    if step == "file":
        return state == FaultState.REPORTED
    if step == "resolve":
        return state in (FaultState.REPORTED, FaultState.FILED, FaultState.ESCALATED)
    return state == FaultState.RESOLVED


def may_act(session: Session, env: FaultEnv, project: ProjectPeople, step: str,
            staff_id: int) -> bool:
    """Whether the staff member is one the routing names for `step` of the fault's `project`
    now (the project's manager / TS contact, the TS supervisor).

    For the project's own people (file, resolve: every view of those pages) the same answer as
    `resolve_for` without loading anyone: named by the project, active, with an address."""
    roles = STEP_ROLES[step]
    if all(role in PROJECT_ROLES for role in roles):
        if staff_id not in {getattr(project, f"{role}_id") for role in roles}:
            return False
        return bool(session.scalar(_ACTIVE_EMAIL, {"id": staff_id}))
    people, _ = resolve_for(session, env, project, roles)
    return any(p.staff_id == staff_id for p in people)


_staff = Staff.__table__.c
_ACTIVE_EMAIL = select(_staff.email).where(_staff.id == bindparam("id"), _staff.active.is_(True))


def expiry(fault: Fault, step: str, now: datetime) -> datetime:
    if step == "file":
        return now + timedelta(days=FILE_DAYS)
    if step == "resolve":
        return now + timedelta(days=RESOLVE_DAYS)
    if fault.analysis_due_at is not None:
        return max(fault.analysis_due_at, now) + timedelta(days=ANALYSIS_GRACE_DAYS)
    return now + timedelta(days=PENDING_DAYS)


def links_for(session: Session, env: FaultEnv, fault: Fault, purpose: Purpose,
              person: Recipient, now: datetime) -> list[StepLink]:
    """The personal links `person` gets in this mail (none without a key or a staff row)."""
    if person.staff_id is None or env.mailer.links is None:
        return []
    out = []
    for step in PURPOSE_STEPS.get(purpose, ()):
        if step == "file" and fault.severity != FaultSeverity.MAJOR:
            continue  # a minor fault needs no filing
        if not step_open(fault.state, step) or not may_act(session, env, fault.project, step,
                                                           person.staff_id):
            continue
        staff = session.get(Staff, person.staff_id)
        until = expiry(fault, step, now)
        url = env.mailer.staff_link(staff, SCOPE, subject(fault.id, step), until)
        if url is not None:
            out.append(StepLink(step, url, until))
    return out
