"""A small R2 world: customers of each kind the campaign must tell apart (frozen dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update

from careops.db.models.common import Customer, StaffRole
from careops.db.uow import UnitOfWork
from careops.process_settings import SurveySettings
from tests.support.factories import World

DAY = date(2026, 12, 1)  # December's first working day in 2026 (a Tuesday)
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
GIFTS = SurveySettings().gifts


def customer(world: World, code: str, *, tier: str = "A", locale: str = "zh_CN",
             email: str | None = "", no_calls: bool = False, name: str = "") -> int:
    cid = world.customer(code, no_calls=no_calls, name=name)
    values: dict = {"tier": tier, "locale": locale}
    if email != "":
        values["contact_email"] = email
    with world.uow:
        world.uow.session.execute(update(Customer).where(Customer.id == cid).values(**values))
        world.uow.commit()
    return cid


def survey_world(uow: UnitOfWork) -> dict[str, int]:
    """NEW (first delivery 2026), OLD (2024), MIXED (old retired + new 2026 = old), NOCALL (no
    calls, B), EN (English, C), NOMAIL (no e-mail), RETIRED (only retired), PENDING (none)."""
    world = World(uow)
    world.staff("CSH", role=StaffRole.HEAD, name="王主任")
    ids = {}
    ids["NEW"] = customer(world, "NEW", tier="A")
    world.project("P-NEW", ids["NEW"], date(2026, 3, 2))
    ids["OLD"] = customer(world, "OLD", tier="B")
    world.project("P-OLD", ids["OLD"], date(2024, 5, 6))
    world.project("P-OLD2", ids["OLD"], date(2026, 6, 1))
    ids["MIXED"] = customer(world, "MIXED", tier="A")
    world.project("P-MIX1", ids["MIXED"], date(2020, 1, 6), retired_on=date(2023, 1, 1))
    world.project("P-MIX2", ids["MIXED"], date(2026, 2, 2))
    ids["NOCALL"] = customer(world, "NOCALL", tier="B", no_calls=True)
    world.project("P-NOCALL", ids["NOCALL"], date(2025, 8, 8))
    ids["EN"] = customer(world, "EN", tier="C", locale="en", name="Acme Ltd")
    world.project("P-EN", ids["EN"], date(2025, 9, 9))
    ids["NOMAIL"] = customer(world, "NOMAIL", tier="Z", email=None)
    world.project("P-NOMAIL", ids["NOMAIL"], date(2025, 10, 10))
    ids["RETIRED"] = customer(world, "RETIRED")
    world.project("P-RET", ids["RETIRED"], date(2021, 4, 4), retired_on=date(2025, 12, 31))
    ids["PENDING"] = customer(world, "PENDING")
    world.project("P-PEND", ids["PENDING"], None)
    return ids
