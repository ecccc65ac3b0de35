"""R5 notices: route a step's roles to people (recipients.py), queue the mails, record
notice + timeline, and say who could not be reached.

Everything is written in the caller's transaction (mail in the outbox, FaultNotice, FaultEvent),
so a notice exists if and only if the step it reports was committed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.db.models.faults import Fault, FaultAnalysis, FaultEvent, FaultNotice
from careops.rules.faults import Purpose, last_resort_roles, recipient_roles
from careops.services.faults.env import FaultEnv
from careops.services.faults.links import links_for
from careops.services.faults.recipients import Recipient, Unreached, resolve

__all__ = ["FaultEnv", "Notified", "Recipient", "Unreached", "notify", "record_event"]

TEMPLATES = {
    Purpose.NOTICE: "fault_notice",
    Purpose.FILED: "fault_filed",
    Purpose.FILING_REMINDER: "fault_chase",
    Purpose.FILING_ESCALATION: "fault_escalation",
    Purpose.UPDATE: "fault_update",
    Purpose.ANALYSIS_REQUEST: "fault_analysis_request",
    Purpose.ANALYSIS_REMINDER: "fault_analysis_chase",
    Purpose.ANALYSIS_OVERDUE: "fault_analysis_chase",
    Purpose.REPORT: "fault_analysis_report",  # BIZ: the full report with the timeline
    Purpose.DEADLINE_PENDING: "fault_deadline_pending",
}
CUSTOMER_REPORT = "fault_analysis_customer"  # the customer: customer-facing facts only


@dataclass(frozen=True)
class Notified:
    to: list[str]  # the addresses mailed
    unreached: list[Unreached]

    @property
    def warnings(self) -> list[str]:
        return [u.describe() for u in self.unreached]


def record_event(
    session: Session, fault: Fault, kind: str, actor: str, details: str, now: datetime
) -> FaultEvent:
    event = FaultEvent(fault_id=fault.id, at=now, kind=kind, actor=actor, details=details)
    session.add(event)
    session.flush()
    return event


def customer_report(session: Session, fault: Fault) -> dict[str, Any]:
    """What the customer reads: the times of the fault and the analysis, nothing internal
    (no timeline, no chases, no staff names, no internal notes or addresses)."""
    analysis = session.scalar(select(FaultAnalysis).where(FaultAnalysis.fault_id == fault.id))
    assert analysis is not None
    project = fault.project
    return {
        "id": fault.id, "project_name": project.name, "customer_name": project.customer.name,
        "contact_name": project.customer.contact_name, "occurred_at": fault.occurred_at,
        "ended_at": fault.ended_at, "impact": analysis.impact, "handling": analysis.handling,
        "root_cause": analysis.root_cause, "corrective_actions": analysis.corrective_actions,
        "preventive_actions": analysis.preventive_actions,
    }


def notify(
    session: Session,
    env: FaultEnv,
    fault: Fault,
    purpose: Purpose,
    now: datetime,
    *,
    tag: str = "",
    context: dict[str, Any] | None = None,
) -> Notified:
    """Mail `purpose` about `fault` to its recipients (one mail per locale), record it all.

    `tag` makes the outbox key unique per occurrence (e.g. the chase number). Nobody found for
    the roles → the last resort (leadership for a major fault, TS for a minor one). Whoever
    could not be reached is named in the mail, in an `unreached` timeline event and in the
    result, so the sender is told.
    """
    roles = recipient_roles(
        purpose, fault.severity, env.rules.major_departments, env.rules.minor_departments
    )
    people, unreached = resolve(session, env, fault, roles)
    if not people and purpose != Purpose.DEADLINE_PENDING:
        last = last_resort_roles(fault.severity, env.rules.minor_departments)
        people, more = resolve(session, env, fault, [r for r in last if r not in roles])
        unreached += more
    if unreached:
        record_event(session, fault, "unreached", "careops", f"{purpose}: " + "; ".join(
            u.describe() for u in unreached), now)
    if not people:
        return Notified([], unreached)
    groups: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
    for person in people:
        groups[person.audience, person.locale].append(person)
    addresses = [p.email for p in people]
    event = record_event(
        session, fault, f"notice:{purpose}", "careops", "to " + ", ".join(addresses), now
    )
    from careops.services.faults.queries import fault_view  # the view needs the events

    view = fault_view(session, fault)
    for (audience, locale), group in sorted(groups.items()):
        # the report goes to each address alone: the customer never sees internal addresses;
        # whoever gets a personal link (links.py) gets a mail of their own
        links = {p.email: links_for(session, env, fault, purpose, p, now) for p in group}
        alone = [p for p in group if purpose == Purpose.REPORT or links[p.email]]
        shared = [p for p in group if p not in alone]
        batches = ([shared] if shared else []) + [[p] for p in alone]
        for batch in batches:
            to = [p.email for p in batch]
            suffix = f":{to[0].lower()}" if batch[0] in alone else ""
            key = f"fault:{fault.id}:{purpose}:{tag}:{locale}{suffix}"
            if audience == "customer":
                template = CUSTOMER_REPORT
                values: dict[str, Any] = {"report": customer_report(session, fault)}
            else:
                template = TEMPLATES[purpose]
                values = {"fault": view, "purpose": str(purpose), "recipients": batch,
                          "unreached": unreached, **(context or {}),
                          "links": links[to[0]] if batch[0] in alone else []}
            env.mailer.queue(
                session, key=key[:200], template=template, locale=locale, to=to,
                category=f"fault_{purpose}"[:50], context=values, now=now,
            )
            session.add(FaultNotice(
                fault_id=fault.id, event_id=event.id, purpose=str(purpose),
                recipients=",".join(to), outbox_key=key[:200], created_at=now,
            ))
    return Notified(addresses, unreached)
