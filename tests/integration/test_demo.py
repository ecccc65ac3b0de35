"""The demo data set: realistic counts, deterministic, only into an empty database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from careops.db.models.common import Customer, Department, Project, Staff, StaffRole
from careops.demo import seed_demo
from careops.services.operations.import_rows import CustomerRow, StaffRow

TODAY = date(2026, 11, 23)


def snapshot(uow) -> dict[str, list[tuple]]:
    with uow:
        s = uow.session
        return {
            "staff": s.execute(
                select(Staff.code, Staff.name, Staff.phone).order_by(Staff.code)
            ).all(),
            "customers": s.execute(
                select(Customer.code, Customer.name, Customer.tier, Customer.no_calls)
                .order_by(Customer.code)
            ).all(),
            "projects": s.execute(
                select(Project.code, Project.delivered_on, Project.retired_on, Project.cs_owner_id)
                .order_by(Project.code)
            ).all(),
        }


def test_seed_fills_an_empty_database_with_a_realistic_mix(uow):
    summary = seed_demo(uow, today=TODAY)
    assert summary is not None
    assert (summary.staff, summary.customers, summary.projects) == (30, 200, 400)
    assert 0 < summary.undelivered < 50 and 0 < summary.retired < 50
    assert 0 < summary.no_calls_customers < 30 and 20 < summary.without_cs_owner < 150
    with uow:
        s = uow.session
        per_department = dict(
            s.execute(select(Staff.department, func.count()).group_by(Staff.department)).all()
        )
        assert per_department[Department.CS] == 8 and per_department[Department.TS] == 10
        assert per_department[Department.BIZ] == 8
        assert {Department.GM, Department.LEADERSHIP} <= set(per_department)
        roles = set(s.execute(select(Staff.department, Staff.role)).tuples().all())
        assert (Department.CS, StaffRole.HEAD) in roles
        assert (Department.TS, StaffRole.SUPERVISOR) in roles
        assert (Department.BIZ, StaffRole.MANAGER) in roles
        delivered = s.scalars(select(Project.delivered_on).where(Project.delivered_on.is_not(None)))
        dates = list(delivered)
        assert min(dates) >= TODAY - timedelta(days=3 * 365) and max(dates) < TODAY
        assert s.scalar(select(func.count(func.distinct(Project.customer_id)))) == 200
        for project in s.scalars(select(Project)):
            assert project.website_url.startswith("https://")
            assert project.website_url.endswith(".example.cn")
            if project.retired_on:
                assert project.delivered_on <= project.retired_on <= TODAY
            if project.cs_owner_id:
                assert s.get(Staff, project.cs_owner_id).department is Department.CS
            assert s.get(Staff, project.sales_id).department is Department.BIZ
            assert s.get(Staff, project.ts_contact_id).department is Department.TS
        # the demo data would pass the import's own row checks
        for person in s.scalars(select(Staff)):
            assert person.email.endswith("@careops.local")
            StaffRow.model_validate({c: getattr(person, c) for c in StaffRow.model_fields})
        for customer in s.scalars(select(Customer)):
            CustomerRow.model_validate({c: getattr(customer, c) for c in CustomerRow.model_fields})


def test_same_seed_same_data_other_seed_other_data(uow):
    seed_demo(uow, today=TODAY, seed=7)
    first = snapshot(uow)
    with uow:
        for model in (Project, Customer, Staff):
            uow.session.execute(model.__table__.delete())
        uow.commit()
    seed_demo(uow, today=TODAY, seed=7)
    second = snapshot(uow)
    assert [row[1:] for row in second["staff"]] == [row[1:] for row in first["staff"]]
    assert second["customers"] == first["customers"]
    assert [row[:3] for row in second["projects"]] == [row[:3] for row in first["projects"]]
    with uow:
        for model in (Project, Customer, Staff):
            uow.session.execute(model.__table__.delete())
        uow.commit()
    seed_demo(uow, today=TODAY, seed=8)
    assert snapshot(uow)["customers"] != first["customers"]


def test_seed_skips_a_database_that_holds_data(uow):
    with uow:
        uow.session.add(Customer(code="REAL1", name="真实客户", contact_name="张三"))
        uow.commit()
    assert seed_demo(uow, today=TODAY) is None
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Project)) == 0
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 1
