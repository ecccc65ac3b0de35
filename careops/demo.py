"""A realistic, deterministic demo data set: staff, 200 customers, 400 projects.

Seeded only into an empty database (no staff, customers or projects), so it never mixes with
ops' real data. The same seed and `today` give the same data. Mail addresses are at
careops.local so that everything lands in the local SMTP catcher.

The mix exercises the rules: projects delivered over the three years before `today` (monthly
and quarterly callbacks, new and old customers), some not delivered yet, a few retired, a few
customers who asked for no calls, most projects with a CS owner and some without (so the
round-robin assignment matters), an inactive CS member, one English-speaking TS engineer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker
from sqlalchemy import func, insert, select

from careops.db.models.common import Customer, Department, Project, Staff, StaffRole
from careops.db.uow import UnitOfWork

MAIL_DOMAIN = "careops.local"
CUSTOMERS = 200
PROJECTS = 400

# (code prefix, department, count, roles of the first members; the rest are members)
_TEAMS = [
    ("CS", Department.CS, 8, [StaffRole.HEAD]),
    ("TS", Department.TS, 10, [StaffRole.SUPERVISOR]),
    ("BIZ", Department.BIZ, 8, [StaffRole.MANAGER, StaffRole.MANAGER]),
    ("OFF", Department.OFFICE, 1, [StaffRole.HEAD]),
    ("GM", Department.GM, 1, [StaffRole.MANAGER]),
    ("LD", Department.LEADERSHIP, 2, []),
]
_SYSTEMS = [
    "官网", "在线商城", "门户网站", "OA系统", "会员小程序", "客服平台", "数据中台", "官方网站改版",
]
_SITE_PARTS = ["www", "shop", "portal", "oa", "m", "service", "data", "new"]


@dataclass(frozen=True)
class DemoSummary:
    staff: int
    customers: int
    projects: int
    undelivered: int
    retired: int
    no_calls_customers: int
    without_cs_owner: int


def seed_demo(
    uow: UnitOfWork, *, today: date, seed: int = 20261123, customers: int = CUSTOMERS
) -> DemoSummary | None:
    """Insert the demo data set (`customers`, twice as many projects); None (and nothing
    written) if the database holds any data."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    with uow:
        session = uow.session
        uow.lock("careops.demo.seed")
        for model in (Staff, Customer, Project):
            if session.scalar(select(func.count()).select_from(model)):
                return None
        staff = _staff(fake, rng)
        session.execute(insert(Staff), staff)
        ids = dict(session.execute(select(Staff.code, Staff.id)).tuples().all())
        customers = _customers(fake, rng, customers)
        session.execute(insert(Customer), customers)
        customer_ids = dict(session.execute(select(Customer.code, Customer.id)).tuples().all())
        projects = _projects(rng, today, staff, ids, customers, customer_ids)
        session.execute(insert(Project), projects)
        uow.commit()
    return DemoSummary(
        staff=len(staff),
        customers=len(customers),
        projects=len(projects),
        undelivered=sum(p["delivered_on"] is None for p in projects),
        retired=sum(p["retired_on"] is not None for p in projects),
        no_calls_customers=sum(c["no_calls"] for c in customers),
        without_cs_owner=sum(p["cs_owner_id"] is None for p in projects),
    )


def _staff(fake: Faker, rng: random.Random) -> list[dict]:
    rows = []
    for prefix, department, count, roles in _TEAMS:
        for n in range(1, count + 1):
            code = f"{prefix}{n:03d}"
            rows.append(
                {
                    "code": code,
                    "name": fake.name(),
                    "department": department,
                    "role": roles[n - 1] if n <= len(roles) else StaffRole.MEMBER,
                    "email": f"{code.lower()}@{MAIL_DOMAIN}",
                    "phone": fake.phone_number() if rng.random() < 0.9 else None,
                    "locale": "en" if code == "TS010" else "zh_CN",
                    "active": code != "CS008",  # someone who left: keeps history, gets no work
                }
            )
    return rows


def _customers(fake: Faker, rng: random.Random, count: int) -> list[dict]:
    rows = []
    for n in range(1, count + 1):
        code = f"C{n:04d}"
        rows.append(
            {
                "code": code,
                "name": fake.company(),
                "tier": rng.choices("ABC", weights=(2, 5, 3))[0],
                "contact_name": fake.name(),
                "contact_phone": fake.phone_number(),
                "contact_email": (
                    f"{code.lower()}@customers.{MAIL_DOMAIN}" if rng.random() < 0.85 else None
                ),
                "address": fake.address().rsplit(" ", 1)[0],  # without the postcode
                "no_calls": rng.random() < 0.04,
            }
        )
    return rows


def _projects(
    rng: random.Random,
    today: date,
    staff: list[dict],
    ids: dict[str, int],
    customers: list[dict],
    customer_ids: dict[str, int],
) -> list[dict]:
    def codes(department: Department, role: StaffRole | None = None) -> list[str]:
        return [
            s["code"] for s in staff
            if s["department"] == department and s["active"] and (role is None or s["role"] == role)
        ]

    cs_owners = codes(Department.CS)
    sales = codes(Department.BIZ, StaffRole.MEMBER)
    managers = codes(Department.BIZ, StaffRole.MANAGER)
    ts_contacts = codes(Department.TS)
    # every customer has a project; the other half go to random customers
    owners = [c["code"] for c in customers]
    owners += [rng.choice(owners) for _ in range(len(owners) * PROJECTS // CUSTOMERS - len(owners))]
    rows = []
    for n, customer_code in enumerate(owners, start=1):
        delivered = today - timedelta(days=rng.randint(1, 3 * 365))
        delivered_on = None if rng.random() < 0.05 else delivered
        retired_on = None
        age = (today - delivered).days
        if delivered_on and age > 240 and rng.random() < 0.06:
            retired_on = delivered_on + timedelta(days=rng.randint(180, age))
        system = rng.randrange(len(_SYSTEMS))
        cs_owner = rng.choice(cs_owners) if rng.random() < 0.8 else None
        rows.append(
            {
                "code": f"P{n:05d}",
                "name": f"{_short_name(customers, customer_code)}{_SYSTEMS[system]}",
                "customer_id": customer_ids[customer_code],
                "delivered_on": delivered_on,
                "retired_on": retired_on,
                "cs_owner_id": ids[cs_owner] if cs_owner else None,
                "sales_id": ids[rng.choice(sales)],
                "manager_id": ids[rng.choice(managers)],
                "ts_contact_id": ids[rng.choice(ts_contacts)],
                "website_url": f"https://{_SITE_PARTS[system]}.p{n:05d}.example.cn",
            }
        )
    return rows


def _short_name(customers: list[dict], code: str) -> str:
    """华信科技有限公司 -> 华信科技 (project names read like ops write them)."""
    name = customers[int(code[1:]) - 1]["name"]
    return name.removesuffix("有限公司").removesuffix("股份")
