"""R2 December needs survey and New Year gifts: the year's campaign, its members, the gift
shipments' steps and the customers' answers.

- `SurveyCampaign`: one per year (unique), built once by `december-campaign`.
- `CampaignMember`: one per (campaign, customer): new/old, the gift kind, the shipment (its code,
  current status and the recipient as it was when the list was made), the invitation and the
  reminders sent. A re-built campaign adds customers delivered since, never one twice.
- `GiftShipmentEvent`: one per (member, status): planned → shipped → delivered | returned, the
  courier's date and when careops recorded it.
- `SurveyAnswer`: one per member; edited in place until the survey closes (`revision` counts
  the saves), marked with its channel (web, phone, letter).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db.base import Base, UTCDateTime, _enum
from careops.db.models.common import Customer
from careops.rules.survey import AnswerChannel, Cohort, ShipmentStatus

__all__ = ["AnswerChannel", "CampaignMember", "Cohort", "GiftShipmentEvent", "ShipmentStatus",
           "SurveyAnswer", "SurveyCampaign"]


class SurveyCampaign(Base):
    __tablename__ = "survey_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    built_on: Mapped[date] = mapped_column(Date)  # the campaign day (local)
    closes_on: Mapped[date] = mapped_column(Date)  # answers accepted until the end of this day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignMember(Base):
    __tablename__ = "campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaign.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    cohort: Mapped[Cohort] = mapped_column(_enum(Cohort))
    tier: Mapped[str] = mapped_column(String(10))
    gift_kind: Mapped[str] = mapped_column(String(100))
    no_calls: Mapped[bool] = mapped_column(Boolean, default=False)  # gift and letter anyway
    shipment_code: Mapped[str] = mapped_column(String(60), unique=True)
    shipment_status: Mapped[ShipmentStatus] = mapped_column(
        _enum(ShipmentStatus), default=ShipmentStatus.PLANNED
    )
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    shipment_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipient_name: Mapped[str] = mapped_column(String(100))
    recipient_phone: Mapped[str | None] = mapped_column(String(30))
    recipient_address: Mapped[str | None] = mapped_column(String(300))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    campaign: Mapped[SurveyCampaign] = relationship()
    customer: Mapped[Customer] = relationship()
    answer: Mapped[SurveyAnswer | None] = relationship(back_populates="member")


class GiftShipmentEvent(Base):
    __tablename__ = "gift_shipment_event"
    __table_args__ = (UniqueConstraint("member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("campaign_member.id"))
    status: Mapped[ShipmentStatus] = mapped_column(_enum(ShipmentStatus))
    happened_on: Mapped[date | None] = mapped_column(Date)  # the courier's date (None: planned)
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(200))  # the campaign run or the courier file
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyAnswer(Base):
    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("campaign_member.id"), unique=True)
    channel: Mapped[AnswerChannel] = mapped_column(_enum(AnswerChannel))
    needs: Mapped[str] = mapped_column(String(300), default="")  # comma-separated codes
    needs_other: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[str | None] = mapped_column(String(20))
    timing: Mapped[str | None] = mapped_column(String(20))
    contact_preference: Mapped[str | None] = mapped_column(String(20))
    comments: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str | None] = mapped_column(String(100))  # staff, for phone / letter
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    member: Mapped[CampaignMember] = relationship(back_populates="answer")
