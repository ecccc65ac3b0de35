"""R2 gift shipments: the list for the courier (XLSX) and the courier's tracking file back.

The list has one row per campaign member: shipment code, recipient, phone, address, gift kind,
customer, current status. The courier's file (CSV or XLSX) has the columns `shipment_code`,
`tracking_number`, `status` (shipped / delivered / returned, or 已发货 / 已签收 / 已退回) and
`date`; Chinese headers (发货编号, 运单号, 状态, 日期) are accepted too. Each good row moves its
shipment forward (planned → shipped → delivered | returned), each step recorded once with the
courier's date and the time careops recorded it; a bad row is reported by its row number and
reason and never blocks the good ones. Importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.common import Customer
from careops.db.models.survey import CampaignMember, GiftShipmentEvent, SurveyCampaign
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.exports import xlsx_bytes
from careops.rules.survey import ShipmentStatus, ShipmentStepError, next_steps
from careops.services.operations.import_rows import parse_date
from careops.services.operations.imports import RowError
from careops.services.survey.campaign import get_campaign
from careops.tabular import read_table

LIST_HEADER = ("shipment_code", "recipient", "phone", "address", "gift_kind", "customer_code",
               "customer", "new_or_old", "status", "tracking_number")
STATUS_WORDS = {
    "shipped": ShipmentStatus.SHIPPED, "已发货": ShipmentStatus.SHIPPED,
    "发货": ShipmentStatus.SHIPPED, "在途": ShipmentStatus.SHIPPED,
    "delivered": ShipmentStatus.DELIVERED, "已签收": ShipmentStatus.DELIVERED,
    "签收": ShipmentStatus.DELIVERED, "已送达": ShipmentStatus.DELIVERED,
    "returned": ShipmentStatus.RETURNED, "已退回": ShipmentStatus.RETURNED,
    "退回": ShipmentStatus.RETURNED, "退件": ShipmentStatus.RETURNED,
}
COLUMN_ALIASES = {"发货编号": "shipment_code", "运单号": "tracking_number", "快递单号":
                  "tracking_number", "状态": "status", "日期": "date"}
MAX_TRACKING = 60
REQUIRED = ("shipment_code", "status", "date")


@dataclass(frozen=True)
class Shipment:
    shipment_code: str
    recipient: str
    phone: str
    address: str
    gift_kind: str
    customer_code: str
    customer: str
    new_or_old: str
    status: str
    tracking_number: str

    def as_row(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class TrackingReport:
    moved: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # every returned shipment of the years the file touched
    returned_by_year: dict[int, list[Shipment]] = field(default_factory=dict)

    @property
    def returned(self) -> list[Shipment]:
        return [s for items in self.returned_by_year.values() for s in items]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"{self.moved} moved, {self.unchanged} unchanged, {len(self.errors)} rejected; "
                f"{len(self.returned)} returned in all")


def shipments(session: Session, year: int, *, status: ShipmentStatus | None = None
              ) -> list[Shipment]:
    """The year's shipments by shipment code (optionally only those with `status`)."""
    campaign = get_campaign(session, year)
    query = (
        select(CampaignMember, Customer.code, Customer.name)
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign.id)
        .order_by(CampaignMember.shipment_code)
    )
    if status is not None:
        query = query.where(CampaignMember.shipment_status == status)
    return [
        Shipment(m.shipment_code, m.recipient_name, m.recipient_phone or "",
                 m.recipient_address or "", m.gift_kind, code, name, str(m.cohort),
                 str(m.shipment_status), m.tracking_number or "")
        for m, code, name in session.execute(query)
    ]


def gift_list_xlsx(items: list[Shipment], year: int) -> bytes:
    """The courier's list; text cells stay text (addresses typed by customers are not formulas)."""
    rows = ([getattr(s, column) for column in LIST_HEADER] for s in items)
    return xlsx_bytes(f"gifts {year}", LIST_HEADER, rows,
                      widths=(16, 12, 14, 40, 22, 12, 28, 8, 10, 18))


def import_tracking(uow: UnitOfWork, path: Path, now: datetime) -> TrackingReport:
    """Apply the courier's file (see the module docstring); one unit of work."""
    report = TrackingReport()
    rows = [(n, {COLUMN_ALIASES.get(k, k): v for k, v in raw.items()})
            for n, raw in read_table(path)]
    missing = [c for c in REQUIRED if rows and c not in rows[0][1]]
    if missing:
        raise CareopsError(f"{path}: missing column(s) {', '.join(missing)} (the courier file "
                           "needs shipment_code, tracking_number, status, date)")
    parsed = []
    for number, row in rows:
        try:
            parsed.append((number, *_parse(row)))
        except ValueError as exc:
            report.errors.append(RowError(number, str(exc)))
    with uow:
        session = uow.session
        codes = {code for _n, code, *_ in parsed}
        members = {m.shipment_code: m for m in session.scalars(
            select(CampaignMember).where(CampaignMember.shipment_code.in_(codes)))} if codes else {}
        events = []
        for number, code, tracking, status, on in parsed:
            member = members.get(code)
            if member is None:
                report.errors.append(RowError(number, f"shipment_code {code!r} is not on any "
                                                      "gift list"))
                continue
            try:
                steps = next_steps(member.shipment_status, status)
            except ShipmentStepError as exc:
                report.errors.append(RowError(number, f"shipment {code}: {exc}"))
                continue
            if tracking and member.tracking_number and tracking != member.tracking_number:
                report.errors.append(RowError(
                    number, f"shipment {code} already has tracking number "
                            f"{member.tracking_number}, not {tracking}"))
                continue
            if not steps:
                report.unchanged += 1
                continue
            if status == ShipmentStatus.SHIPPED and not (tracking or member.tracking_number):
                report.errors.append(RowError(number, "tracking_number is required for shipped"))
                continue
            member.tracking_number = tracking or member.tracking_number
            member.shipment_status = steps[-1]
            member.shipment_changed_at = now
            events += [{"member_id": member.id, "status": step, "happened_on": on,
                        "tracking_number": member.tracking_number, "source": path.name[:200],
                        "recorded_at": now} for step in steps]
            report.moved += 1
        session.flush()
        insert_ignoring_duplicates(session, GiftShipmentEvent, events, ["member_id", "status"])
        report.errors.sort(key=lambda e: e.row)
        years = {m.campaign_id for m in members.values()}
        for campaign in session.scalars(select(SurveyCampaign).where(SurveyCampaign.id.in_(years))):
            report.returned_by_year[campaign.year] = shipments(
                session, campaign.year, status=ShipmentStatus.RETURNED)
        uow.commit()
    return report


def _parse(row: dict[str, str]) -> tuple[str, str, ShipmentStatus, date]:
    code = row.get("shipment_code", "").strip()
    if not code:
        raise ValueError("shipment_code is required")
    tracking = row.get("tracking_number", "").strip()
    if len(tracking) > MAX_TRACKING or any(not (c.isalnum() or c in "-_") for c in tracking):
        raise ValueError(f"tracking_number {tracking[:80]!r} is not a tracking number "
                         f"(letters, digits, - or _; at most {MAX_TRACKING})")
    word = row.get("status", "").strip()
    status = STATUS_WORDS.get(word.lower()) or STATUS_WORDS.get(word)
    if status is None:
        raise ValueError(f"status {word!r} is not one of shipped, delivered, returned "
                         "(已发货, 已签收, 已退回)")
    text = row.get("date", "").strip()
    if not text:
        raise ValueError("date is required")
    try:
        on = parse_date(text)
    except ValueError as exc:
        raise ValueError(f"date {text!r}: {exc}") from None
    return code, tracking, status, on

