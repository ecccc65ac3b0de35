"""R2 gift shipments: the courier's list (XLSX) and the tracking file back, bad rows by number."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import select, update

from careops.db.models.common import Customer
from careops.db.models.survey import CampaignMember, GiftShipmentEvent
from careops.errors import CareopsError
from careops.process_settings import SurveySettings
from careops.services.survey.campaign import build_campaign
from careops.services.survey.gift_shipments import gift_list_xlsx, import_tracking, shipments
from tests.integration.survey_world import DAY, NOW, survey_world

LATER = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def campaign(uow):
    survey_world(uow)
    with uow:  # an address typed to look like a formula must reach the courier as text
        uow.session.execute(update(Customer).where(Customer.code == "OLD")
                            .values(address="=HYPERLINK(\"http://x\",\"点击\")"))
        uow.commit()
    build_campaign(uow, 2026, DAY, SurveySettings(), NOW)
    return uow


def _csv(tmp_path, text: str):
    path = tmp_path / "courier.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _status(uow) -> dict[str, tuple[str, str | None]]:
    with uow:
        rows = uow.session.execute(select(CampaignMember.shipment_code,
                                          CampaignMember.shipment_status,
                                          CampaignMember.tracking_number))
        return {code: (str(status), tracking) for code, status, tracking in rows}


def test_the_gift_list_opens_in_excel_with_every_shipment_and_text_kept_text(campaign):
    with campaign:
        items = shipments(campaign.session, 2026)
    sheet = openpyxl.load_workbook(io.BytesIO(gift_list_xlsx(items, 2026))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("shipment_code", "recipient", "phone", "address", "gift_kind")
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {"G2026-NEW", "G2026-OLD", "G2026-MIXED", "G2026-NOCALL",
                            "G2026-EN", "G2026-NOMAIL"}
    assert by_code["G2026-NEW"][1:3] == ("联系人NEW", "13912345678")
    old = sheet.cell(row=[r[0] for r in rows].index("G2026-OLD") + 1, column=4)
    assert old.data_type == "s" and old.value.startswith("=HYPERLINK")  # a string, not formula


def test_planned_shipped_delivered_returned_with_bad_rows_by_number(campaign, tmp_path):
    path = _csv(tmp_path, "\n".join([
        "发货编号,运单号,状态,日期",
        "G2026-NEW,SF100,已发货,2026-12-03",
        "G2026-OLD,SF101,delivered,2026/12/04",   # shipped implied
        "G2026-EN,SF102,returned,2026-12-05",
        "G2026-NOPE,SF103,shipped,2026-12-03",     # row 5: unknown code
        "G2026-MIXED,,shipped,2026-12-03",          # row 6: shipped without a tracking number
        "G2026-NOCALL,SF104,lost,2026-12-03",       # row 7: unknown status
        "G2026-NOMAIL,SF 105,shipped,2026-12-03",   # row 8: not a tracking number
        "G2026-NOMAIL,SF105,shipped,",              # row 9: no date
    ]) + "\n")
    report = import_tracking(campaign, path, LATER)
    assert [e.row for e in report.errors] == [5, 6, 7, 8, 9]
    assert "G2026-NOPE" in report.errors[0].reason
    assert "tracking_number is required" in report.errors[1].reason
    assert "lost" in report.errors[2].reason
    assert report.moved == 3
    assert [s.shipment_code for s in report.returned] == ["G2026-EN"]
    status = _status(campaign)
    assert status["G2026-NEW"] == ("shipped", "SF100")
    assert status["G2026-OLD"] == ("delivered", "SF101")
    assert status["G2026-EN"] == ("returned", "SF102")
    assert status["G2026-MIXED"] == ("planned", None)
    with campaign:
        steps = campaign.session.execute(
            select(CampaignMember.shipment_code, GiftShipmentEvent.status,
                   GiftShipmentEvent.happened_on, GiftShipmentEvent.recorded_at)
            .join(CampaignMember, CampaignMember.id == GiftShipmentEvent.member_id)
            .where(CampaignMember.shipment_code == "G2026-OLD").order_by(GiftShipmentEvent.id)
        ).all()
    assert [(str(s), on) for _c, s, on, _at in steps] == [
        ("planned", None), ("shipped", date(2026, 12, 4)), ("delivered", date(2026, 12, 4))]
    assert steps[-1].recorded_at == LATER

    again = import_tracking(campaign, path, LATER)  # the same file again changes nothing
    assert (again.moved, again.unchanged, len(again.errors)) == (0, 3, 5)


def test_no_step_back_and_no_second_tracking_number(campaign, tmp_path):
    import_tracking(campaign, _csv(tmp_path, "shipment_code,tracking_number,status,date\n"
                                             "G2026-NEW,SF1,delivered,2026-12-04\n"), LATER)
    report = import_tracking(campaign, _csv(tmp_path, (
        "shipment_code,tracking_number,status,date\n"
        "G2026-NEW,SF1,shipped,2026-12-03\n"
        "G2026-NEW,SF1,returned,2026-12-06\n"
        "G2026-OLD,SF2,shipped,2026-12-03\n"
        "G2026-OLD,SF3,delivered,2026-12-04\n")), LATER)
    assert [e.row for e in report.errors] == [2, 3, 5]
    assert "cannot go back" in report.errors[0].reason
    assert "already has tracking number SF2" in report.errors[2].reason


def test_a_file_that_is_not_a_courier_file_is_one_clear_error(campaign, tmp_path):
    with pytest.raises(CareopsError, match="missing column.*status, date"):
        import_tracking(campaign, _csv(tmp_path, "shipment_code,name\nG2026-NEW,x\n"), LATER)


def test_the_courier_file_as_xlsx_with_excel_dates(campaign, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["shipment_code", "tracking_number", "status", "date"])
    sheet.append(["G2026-NEW", "YT9001", "已签收", datetime(2026, 12, 6)])
    sheet.append(["G2026-OLD", 12345678, "shipped", datetime(2026, 12, 3)])  # a numeric cell
    path = tmp_path / "courier.xlsx"
    book.save(path)
    report = import_tracking(campaign, path, LATER)
    assert (report.moved, report.errors) == (2, [])
    status = _status(campaign)
    assert status["G2026-NEW"] == ("delivered", "YT9001")
    assert status["G2026-OLD"] == ("shipped", "12345678")
