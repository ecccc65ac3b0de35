"""R1 planning against a real database and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from careops.bootstrap import get_calendar, get_mailer
from careops.db.models.callbacks import Callback, CallbackStatus
from careops.db.models.common import Department, Project, StaffRole
from careops.db.models.outbox import OutboxMessage
from careops.mail.delivery import deliver_pending
from careops.months import Month
from careops.services.callbacks.planning import plan_and_notify
from tests.support.factories import World

NOW = datetime(2026, 2, 2, 1, 0, tzinfo=UTC)
FEB = Month(2026, 2)


@pytest.fixture
def world(uow, settings) -> World:
    return World(uow)


@pytest.fixture
def february(world: World) -> dict[str, int]:
    """Projects whose February 2026 callbacks exercise clamping, rolls and make-up Saturdays."""
    ids = {
        "cs1": world.staff("CS1"),
        "cs2": world.staff("CS2", locale="en"),
        "cs_gone": world.staff("CS9", active=False),
        "ts1": world.staff("TS1", Department.TS),
    }
    c = world.customer("C1")
    ids["A"] = world.project("A", c, date(2025, 12, 31), cs_owner_id=ids["cs1"])  # Jan 31→Feb 2
    ids["B"] = world.project("B", c, date(2026, 1, 17), cs_owner_id=ids["cs_gone"])  # Spring Fest.
    ids["C"] = world.project("C", c, date(2026, 1, 14))  # Feb 14: a make-up Saturday
    ids["D"] = world.project("D", c, date(2024, 11, 5))  # 15 months: first quarterly
    world.project("E", c, date(2024, 12, 5))  # 14 months: none
    world.project("F", c, date(2025, 6, 10), retired_on=date(2026, 1, 1))  # retired: none
    world.project("G", world.customer("C2", no_calls=True), date(2025, 6, 10))  # no calls
    world.project("H", c, None)  # not delivered
    world.project("I", c, date(2026, 2, 1))  # delivered this month: none
    return ids


def _plan(uow, month: Month = FEB):
    return plan_and_notify(uow, month, get_calendar(), get_mailer(), NOW)


def _callbacks(uow) -> dict[tuple[str, int], tuple[date, int]]:
    with uow:
        rows = uow.session.scalars(select(Callback)).all()
        return {(c.project.code, c.seq): (c.due_date, c.assignee_id) for c in rows}


def test_plan_creates_exactly_the_r1_callbacks(uow, february):
    result = _plan(uow)

    assert result.created == 5
    due = {key: d for key, (d, _who) in _callbacks(uow).items()}
    assert due == {
        ("A", 1): date(2026, 2, 2),  # nominal 31 Jan (Sat) rolls into February
        ("A", 2): date(2026, 2, 28),  # clamped 28 Feb, a make-up working Saturday
        ("B", 1): date(2026, 2, 24),  # 17 Feb is Spring Festival: next working day
        ("C", 1): date(2026, 2, 14),  # make-up working Saturday stays
        ("D", 13): date(2026, 2, 5),  # D + 15 months
    }


def test_january_plan_does_not_take_the_rolled_callback(uow, february):
    _plan(uow, Month(2026, 1))
    assert ("A", 1) not in _callbacks(uow)


def test_owner_keeps_callbacks_rest_balanced_over_active_cs(uow, february):
    _plan(uow)
    who = {key: assignee for key, (_d, assignee) in _callbacks(uow).items()}
    assert who[("A", 1)] == who[("A", 2)] == february["cs1"]
    # B's owner left: balanced with C and D over the two active CS people
    assert who[("B", 1)] == february["cs2"]
    assert who[("C", 1)] == february["cs2"]
    assert who[("D", 13)] == february["cs1"]
    assert february["cs_gone"] not in who.values() and february["ts1"] not in who.values()


def test_each_assignee_gets_one_call_list_in_their_language(uow, february, smtp, settings):
    result = _plan(uow)
    report = deliver_pending(uow.engine, settings.smtp)

    assert report.sent == 2 and {c.staff_code: c.count for c in result.call_lists} == {
        "CS1": 3, "CS2": 2
    }
    (zh,) = smtp.to("cs1@careops.test")
    assert "回访清单" in zh.subject and "3" in zh.subject
    text = zh.text()
    assert "项目A" in text and "联系人C1" in text and "13912345678" in text
    assert "2026年2月2日" in text and "项目D" in text and "项目B" not in text
    (en,) = smtp.to("cs2@careops.test")
    assert en.subject.startswith("[Callbacks]") and "项目B" in en.html()


def test_rerun_creates_nothing_and_sends_nothing(uow, february, smtp, settings):
    _plan(uow)
    deliver_pending(uow.engine, settings.smtp)
    first = len(smtp.messages)

    again = _plan(uow)
    deliver_pending(uow.engine, settings.smtp)

    assert (again.created, again.already_planned, again.call_lists) == (0, 5, [])
    assert len(smtp.messages) == first == 2
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Callback)) == 5
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_project_added_later_gets_a_supplementary_list(uow, world, february, smtp, settings):
    _plan(uow)
    world.project("J", world.customer("C3"), date(2025, 12, 20), cs_owner_id=february["cs1"])
    result = _plan(uow)
    deliver_pending(uow.engine, settings.smtp)

    assert result.created == 1
    supplementary = [m for m in smtp.to("cs1@careops.test") if "1 个项目" in m.subject]
    assert len(supplementary) == 1 and "项目J" in supplementary[0].text()
    assert "项目A" not in supplementary[0].text()


def test_redelivered_project_restarts_from_the_new_date(uow, world, february):
    _plan(uow)
    with uow:
        project = uow.session.get(Project, february["D"])
        project.delivered_on = date(2026, 1, 5)  # redelivered: monthly again from D'
        uow.commit()
    result = _plan(uow)
    assert result.cancelled == 1
    with uow:
        rows = uow.session.scalars(
            select(Callback).where(Callback.project_id == february["D"])).all()
        by_anchor = {(c.anchor_date, c.seq): (c.due_date, c.status) for c in rows}
    assert by_anchor == {
        (date(2024, 11, 5), 13): (date(2026, 2, 5), CallbackStatus.CANCELLED),
        (date(2026, 1, 5), 1): (date(2026, 2, 5), CallbackStatus.OPEN),
    }


def test_project_retired_after_planning_is_not_called(uow, world, february):
    _plan(uow)
    with uow:
        uow.session.get(Project, february["C"]).retired_on = date(2026, 2, 3)
        uow.commit()
    assert _plan(uow).cancelled == 1
    with uow:
        (status,) = uow.session.scalars(
            select(Callback.status).where(Callback.project_id == february["C"])).all()
    assert status == CallbackStatus.CANCELLED


def test_no_active_cs_staff_is_a_clear_error_and_writes_nothing(uow, world):
    world.staff("CS1", active=False)
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    with pytest.raises(Exception, match="no active CS staff"):
        _plan(uow)
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Callback)) == 0


def test_head_role_is_just_another_cs_assignee(uow, world, smtp, settings):
    head = world.staff("CSH", role=StaffRole.HEAD)
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    _plan(uow)
    assert {who for _d, who in _callbacks(uow).values()} == {head}


def test_one_unusable_address_never_blocks_the_month(uow, february, smtp, settings):
    """Stored before addresses were checked: `<@careops.local` on one CS person (issue 13)."""
    from careops.db.models.common import Staff
    from careops.db.models.outbox import OutboxStatus

    with uow:
        uow.session.get(Staff, february["cs2"]).email = "<@careops.local"
        uow.commit()
    result = _plan(uow)
    report = deliver_pending(uow.engine, settings.smtp)

    assert result.created == 5 and len(result.call_lists) == 2
    assert report.sent == 1 and len(smtp.to("cs1@careops.test")) == 1
    assert [m.envelope_to for m in smtp.messages] == [["cs1@careops.test"]]
    with uow:
        rows = {m.status: m.last_error for m in uow.session.scalars(select(OutboxMessage))}
    assert rows[OutboxStatus.FAILED].startswith("no usable recipient: '<@careops.local'")
    assert _plan(uow).created == 0  # a re-run goes through too


def _attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.message.iter_attachments()}


def _sheet_rows(data: bytes) -> list[list]:
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[cell for cell in row] for row in sheet.iter_rows()]


def test_call_list_attachment_is_xlsx_in_the_recipients_language(uow, february, smtp, settings):
    _plan(uow)
    deliver_pending(uow.engine, settings.smtp)

    (zh,) = smtp.to("cs1@careops.test")
    (name, data), = _attachments(zh).items()
    assert name == "call-list-2026-02-CS1.xlsx"
    rows = _sheet_rows(data)
    assert [c.value for c in rows[0]][:5] == ["编号", "应回访日", "客户", "联系人", "电话"]
    assert "callback_id" not in [c.value for c in rows[0]] and len(rows) == 1 + 3
    assert rows[1][1].value.date() == date(2026, 2, 2) and rows[1][1].is_date
    assert rows[1][4].value == "13912345678" and rows[1][4].data_type == "s"

    (en,) = smtp.to("cs2@careops.test")
    (data,) = _attachments(en).values()
    assert [c.value for c in _sheet_rows(data)[0]][:3] == ["No.", "Due date", "Customer"]


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x","a")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"]
)
def test_customer_text_never_becomes_a_formula_in_the_call_list(uow, world, smtp, settings, name):
    world.staff("CS1")
    world.project("A", world.customer("C1", name=name), date(2026, 1, 14))
    _plan(uow)
    deliver_pending(uow.engine, settings.smtp)

    ((_, data),) = _attachments(smtp.messages[0]).items()
    cell = _sheet_rows(data)[1][2]
    assert cell.value == name and cell.data_type == "s"  # text, exactly as typed, not "f"
