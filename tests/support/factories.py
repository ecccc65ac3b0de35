"""Small builders for test data (plain inserts through a unit of work)."""

from __future__ import annotations

import itertools
from datetime import date

from careops.db.models.common import Customer, Department, Project, Staff, StaffRole
from careops.db.uow import UnitOfWork

_seq = itertools.count(1)


class World:
    """Creates staff, customers and projects in one database and remembers their ids."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def staff(
        self,
        code: str,
        department: Department = Department.CS,
        *,
        role: StaffRole = StaffRole.MEMBER,
        locale: str = "zh_CN",
        active: bool = True,
        name: str | None = None,
    ) -> int:
        return self._add(
            Staff(
                code=code,
                name=name or f"员工{code}",
                department=department,
                role=role,
                email=f"{code.lower()}@careops.test",
                phone="13800138000",
                locale=locale,
                active=active,
            )
        )

    def customer(self, code: str | None = None, *, no_calls: bool = False, name: str = "") -> int:
        code = code or f"C{next(_seq):05d}"
        return self._add(
            Customer(
                code=code,
                name=name or f"客户{code}有限公司",
                tier="A",
                contact_name=f"联系人{code}",
                contact_phone="13912345678",
                contact_email=f"{code.lower()}@customer.test",
                address="上海市浦东新区世纪大道100号",
                no_calls=no_calls,
            )
        )

    def project(
        self,
        code: str,
        customer_id: int,
        delivered_on: date | None,
        *,
        cs_owner_id: int | None = None,
        retired_on: date | None = None,
        **extra: object,
    ) -> int:
        return self._add(
            Project(
                code=code,
                name=f"项目{code}",
                customer_id=customer_id,
                delivered_on=delivered_on,
                cs_owner_id=cs_owner_id,
                retired_on=retired_on,
                **extra,
            )
        )

    def _add(self, obj) -> int:
        with self.uow:
            self.uow.session.add(obj)
            self.uow.commit()
            return obj.id


def crashed_run(**changes):
    """The facts recovery reads of a crashed run (careops.crash_recovery.CrashedRun): by
    default a scheduled holiday-watch wakeup that crashed; `changes` override fields."""
    from careops.crash_recovery import CrashedRun

    values = dict(
        id="7f0c",
        name="wakeup 12-02 09:05",
        flow_name="holiday-watch",
        deployment_id="d",
        state_type="CRASHED",
        message="No heartbeat for 90 s.",
        scheduled=True,
        is_retry=False,
        url="http://127.0.0.1:4200/runs/flow-run/7f0c",
    )
    return CrashedRun(**(values | changes))
