"""Shared set-up of the R6 case tests: CS staff, a GM, a customer with a project, helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from careops.clock import FrozenClock, utcnow
from careops.db.models.common import Department, StaffRole
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.rules.cases import CaseKind, Channel
from careops.services.cases.notices import CaseEnv
from careops.services.cases.steps import CaseIntake
from tests.support.factories import World
from tests.support.smtp import SmtpSink

SH = ZoneInfo("Asia/Shanghai")
OWNER, OTHER, CS_HEAD = "cs1@careops.test", "cs2@careops.test", "csh@careops.test"
GM, LEADER, CUSTOMER = "gm@careops.test", "boss@careops.test", "c1@customer.test"
# A day when 2027's calendar may still be unpublished (tests pass an empty calendar directory)
LATE_DECEMBER = datetime(2026, 12, 28, 10, 0, tzinfo=SH)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def build_world(uow: UnitOfWork, *, customer_locale: str = "zh_CN") -> dict[str, int]:
    w = World(uow)
    ids = {
        "cs1": w.staff("CS1", Department.CS, name="王芳"),
        "cs2": w.staff("CS2", Department.CS, name="刘洋", locale="en"),
        "csh": w.staff("CSH", Department.CS, role=StaffRole.HEAD, name="陈主任"),
        "gm": w.staff("GM", Department.GM, role=StaffRole.HEAD, name="周总"),
        "boss": w.staff("BOSS", Department.LEADERSHIP, name="吴董"),
    }
    ids["customer"] = w.customer("C1")
    if customer_locale != "zh_CN":
        from careops.db.models.common import Customer

        with uow:
            uow.session.get(Customer, ids["customer"]).locale = customer_locale
            uow.commit()
    ids["project"] = w.project("P-ALPHA", ids["customer"], None, cs_owner_id=ids["cs1"])
    return ids


def open_callback(uow: UnitOfWork, ids: dict[str, int]) -> int:
    """An open callback of this month on the world's project, assigned to CS1; its id."""
    from datetime import date

    from careops.db.models.callbacks import Callback, CallbackStatus

    today = date.today()
    with uow:
        cb = Callback(project_id=ids["project"], anchor_date=date(2025, 1, 1), seq=1,
                      due_date=today, month=f"{today:%Y-%m}", assignee_id=ids["cs1"],
                      status=CallbackStatus.OPEN)
        uow.session.add(cb)
        uow.commit()
        return cb.id


def intake(kind: CaseKind = CaseKind.COMPLAINT, **over) -> CaseIntake:
    values = dict(kind=kind, text="网站后台登录后白屏，已经两天了", taken_by="CS1",
                  project_code="P-ALPHA", channel=Channel.PHONE,
                  received_at=at("2026-09-30T16:00"))
    values.update(over)
    return CaseIntake(**values)


@dataclass
class Harness:
    uow: UnitOfWork
    env: CaseEnv
    clock: FrozenClock
    smtp: SmtpSink
    settings: object

    def deliver(self) -> dict[str, list[str]]:
        """Deliver the outbox; what each address received since the last call (subjects)."""
        self.smtp.clear()
        # outbox rows carry the frozen clock: deliver at whichever is later, it or real time
        deliver_pending(self.uow.engine, self.settings.smtp,
                        now=lambda: max(utcnow(), self.clock()))
        got: dict[str, list[str]] = {}
        for m in self.smtp.messages:
            for rcpt in m.envelope_to:
                got.setdefault(rcpt, []).append(m.subject)
        return got
