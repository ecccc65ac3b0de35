"""The people and things every process refers to: departments, staff, customers, projects."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db.base import Base, _enum


class Department(enum.StrEnum):
    CS = "CS"
    TS = "TS"
    BIZ = "BIZ"
    OFFICE = "OFFICE"
    GM = "GM"
    LEADERSHIP = "LEADERSHIP"


class StaffRole(enum.StrEnum):
    MEMBER = "member"
    HEAD = "head"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[Department] = mapped_column(_enum(Department))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole), default=StaffRole.MEMBER)
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped by `careops links revoke`: every personal link made before stops working
    link_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(10), default="B")
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    no_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default="zh_CN")

    projects: Mapped[list[Project]] = relationship(back_populates="customer")


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    retired_on: Mapped[date | None] = mapped_column(Date)
    cs_owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    sales_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ts_contact_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    website_url: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship(back_populates="projects")
