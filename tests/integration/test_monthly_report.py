"""R7 monthly supervision report: figures against a hand-counted November 2026 (and October's
holiday availability), mail from SMTP. November is taken at its end (1 Dec 00:00 in Shanghai,
read 30 Nov 24:00) whatever day it is built: nothing here reads today's date."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from careops.calendar import WorkCalendar
from careops.clock import FrozenClock
from careops.db.models.callbacks import Callback, CallbackOutcome, CallbackStatus
from careops.db.models.cases import CaseStatistic
from careops.db.models.common import Department, Project, StaffRole
from careops.db.models.faults import Fault, FaultEvent
from careops.mail.delivery import deliver_pending
from careops.months import Month
from careops.rules.cases import CaseKind, Channel, Opinion
from careops.rules.holidays import period_by_id
from careops.services.cases import steps as service
from careops.services.cases.notices import CaseEnv
from careops.services.supervision.report import build_report, queue_report_mails
from careops.services.watch.adhoc import record_adhoc
from careops.services.watch.rounds import close_period, record_round
from tasks.reports import report_markdown
from tests.integration.case_world import CS_HEAD, GM, SH, at, build_world, intake
from tests.integration.watch_world import DOWN, OK, PERIOD, build_watch, slot
from tests.integration.watch_world import env as watch_env
from tests.support.factories import World

NOV = Month(2026, 11)
NOW = at("2026-12-01T08:00")  # the schedule: 08:00 on the 1st
AS_OF = at("2026-12-01T00:00")  # November's end
LATER = [at("2026-12-31T23:30"), at("2027-03-15T10:00"), at("2028-12-31T23:59")]
BIZ_HEAD = "bizh@careops.test"


def _world(uow) -> dict[str, int]:
    ids = build_world(uow)
    w = World(uow)
    ids["cs3"] = w.staff("CS3", Department.CS, name="=1+1")  # formula-like text from an import
    w.staff("BIZH", Department.BIZ, role=StaffRole.HEAD, name="孙经理")
    return ids


def _callbacks(uow, ids) -> None:
    def cb(seq, assignee, status, outcome=None, sat=None, month="2026-11"):
        return Callback(project_id=ids["project"], anchor_date=date(2025, 1, 1), seq=seq,
                        due_date=date(2026, int(month[5:]), 10), month=month,
                        assignee_id=ids[assignee], status=status, outcome=outcome,
                        satisfaction=sat)

    done, reached = CallbackStatus.DONE, CallbackOutcome.REACHED
    with uow:  # delivered on the callbacks' anchor, so closing the month keeps them
        uow.session.get(Project, ids["project"]).delivered_on = date(2025, 1, 1)
        uow.session.add_all([
            cb(1, "cs1", done, reached, 5), cb(2, "cs1", done, reached, 3),
            cb(3, "cs1", done, CallbackOutcome.NOT_REACHED), cb(4, "cs1", CallbackStatus.MISSED),
            cb(5, "cs3", done, CallbackOutcome.DECLINED), cb(6, "cs3", CallbackStatus.OPEN),
            cb(7, "cs3", CallbackStatus.CANCELLED), cb(8, "cs1", done, reached, 1, "2026-10"),
        ])
        uow.commit()


def _faults(uow, ids) -> None:
    def fault(key, severity, reported, filed=None, resolved=None, analysed=None, chases=0):
        r = at(reported)
        f = Fault(report_key=key, project_id=ids["project"], severity=severity,
                  state="reported", occurred_at=r, place="主站", symptoms="502",
                  handling_plan="切换", reporter="李雷", reported_at=r, timer_count=0,
                  filed_at=filed and r + timedelta(hours=filed),
                  resolved_at=resolved and r + timedelta(hours=resolved),
                  analysed_at=analysed and r + timedelta(hours=resolved + analysed))
        f.events = [FaultEvent(at=r, kind="chase:filing_reminder", actor="w", details="")
                    for _ in range(chases)]
        return f

    with uow:
        uow.session.add_all([
            fault("F1", "major", "2026-11-02T10:00", 1, 4, 24, chases=2),
            fault("F2", "major", "2026-11-10T09:00", 3, 24, chases=1),
            fault("F3", "major", "2026-11-20T09:00"),
            fault("F4", "minor", "2026-11-05T10:00", None, 2, 24),
            fault("F5", "minor", "2026-10-31T23:00", None, 1, 1),  # October
            fault("F6", "major", "2026-11-30T23:30"),  # still November in Shanghai
            fault("F7", "major", "2026-12-01T00:30"),  # December
        ])
        uow.commit()


def _cases(uow) -> None:
    env, clock = CaseEnv.from_settings(), FrozenClock(at("2026-11-28T12:00"))

    def case(kind, received, answered=None, **over):
        r = service.open_case(uow, intake(kind, received_at=at(received),
                                          text=f"{kind} {received}", **over), env, clock())
        if answered:
            clock.now = at(answered)
            service.send_result(uow, r.case_id, "已处理", "王芳", env, clock())
            clock.now = at("2026-11-28T12:00")
        return r.case_id

    c1 = case(CaseKind.COMPLAINT, "2026-11-02T10:00", "2026-11-04T10:00")  # due Nov 6 00:00
    c2 = case(CaseKind.COMPLAINT, "2026-11-09T10:00", "2026-11-16T10:00")  # due Nov 13: late
    case(CaseKind.COMPLAINT, "2026-11-25T10:00", special=True, special_reason="需厂商配合")
    case(CaseKind.CONSULTATION, "2026-11-27T10:00")  # due Nov 28 10:00: overdue
    c5 = case(CaseKind.SUGGESTION, "2026-11-10T10:00", "2026-11-12T10:00", channel=Channel.EMAIL)
    service.set_department(uow, c5, "TS", "王芳", clock())
    case(CaseKind.COMPLAINT, "2026-10-30T10:00", "2026-10-31T10:00")  # October
    service.record_opinion(uow, c1, Opinion.SATISFIED, None, env, clock())
    service.record_opinion(uow, c2, Opinion.NOT_SATISFIED, "慢", env, clock())
    with uow:  # a purged November consultation, answered in time: its statistics count
        uow.session.add(CaseStatistic(
            case_id=9999, kind="consultation", channel="phone", department=None, special=False,
            received_at=at("2026-11-03T09:00"), due_at=at("2026-11-04T09:00"),
            answered_at=at("2026-11-03T15:00"), opinion=None, reopened_count=0,
            closed_at=at("2026-11-20T00:00"), purged_at=at("2026-11-30T00:00")))
        uow.commit()


@pytest.fixture
def november(settings, uow, smtp):
    ids = _world(uow)
    _callbacks(uow, ids)
    _faults(uow, ids)
    _cases(uow)
    deliver_pending(uow.engine, settings.smtp, now=lambda: NOW)
    smtp.clear()
    return uow


def test_figures_match_the_hand_count(november):
    report = build_report(november, NOV, SH, NOW)
    assert report.as_of == AS_OF and report.as_of_text == "数据截至 2026年11月30日 24:00"
    assert report.section("callbacks").rows == [  # cs3's open one was not done in November:
        ["=1+1", 2, 0, 0, 1, 1, 0, 50.0, None],  # missed at its end (R1), closed or not
        ["王芳", 4, 2, 1, 0, 1, 0, 75.0, 4.0],
        ["合计", 6, 2, 1, 1, 2, 0, 66.7, 4.0],
    ]
    assert report.section("faults").rows == [
        ["重大", 4, 2, 2, 1, 2.0, 3.0, 14.0, 24.0, 24.0, 24.0, 3],
        ["一般", 1, 0, 1, 1, None, None, 2.0, 2.0, 24.0, 24.0, 0],
    ]
    assert report.section("cases").rows == [
        ["投诉", 3, 1, 1, 0, 1, 0, 50.0, 1, 1, 1, 1],
        ["咨询", 2, 1, 0, 1, 0, 0, 50.0, 0, 0, 0, 0],
        ["建议", 1, 1, 0, 0, 0, 0, 100.0, 0, 0, 0, 0],
        ["合计", 6, 3, 1, 1, 1, 0, 60.0, 1, 1, 1, 1],
    ]
    assert report.section("case_channels").rows == [["电话", 5], ["邮件", 1]]
    assert report.section("case_departments").rows == [["未指定", 5], ["TS", 1]]
    assert all(s.basis.startswith("口径") for s in report.sections)
    english = build_report(november, NOV, SH, NOW, "en")
    assert english.section("cases").rows[-1][0] == "Total"
    assert english.as_of_text == "Figures as of 30 Nov 2026 24:00"


def test_weekly_submission_rate_counts_the_months_compiled_meetings(november):
    from datetime import date

    from careops.db.models.weekly import WeeklyMeeting

    with november:
        for week, day, expected, submitted in (
            ("2026-W44", date(2026, 10, 30), 5, 5),  # October: not this report's
            ("2026-W45", date(2026, 11, 6), 5, 4),
            ("2026-W46", date(2026, 11, 13), 4, 4),  # one TS person away
            ("2026-W48", date(2026, 11, 27), None, None),  # not compiled: no figures
        ):
            november.session.add(WeeklyMeeting(
                week=week, meeting_date=day, expected_count=expected, submitted_count=submitted,
                created_at=NOW))
        november.commit()
    report = build_report(november, NOV, SH, NOW)
    assert report.section("weekly").rows == [
        ["2026-W45", "2026-11-06", 5, 4, 80.0],
        ["2026-W46", "2026-11-13", 4, 4, 100.0],
        ["合计", "", 9, 8, 88.9],
    ]
    assert not any("R4" in note for note in report.notes)


def test_the_mail_has_charts_inline_and_the_xlsx_attached_once(november, settings, smtp):
    kwargs = dict(font_file=settings.charts.font_file, gm_email="x", biz_head_email="y",
                  cs_head_email="z")
    env = CaseEnv.from_settings()
    sent = queue_report_mails(november, NOV, SH, NOW, env.mailer, **kwargs)
    queue_report_mails(november, NOV, SH, NOW, env.mailer, **kwargs)  # a re-run: no second
    assert sorted(sent) == sorted([GM, BIZ_HEAD, CS_HEAD])
    deliver_pending(november.engine, settings.smtp, now=lambda: NOW)
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.subject == "服务监督月报 2026年11月" and set(mail.envelope_to) == set(sent)
    html = mail.html()
    images = [p for p in mail.message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for part in images:
        assert f"cid:{part['Content-ID'].strip('<>')}" in html
    assert "口径" in html and "节假日网站可用率：2026年11月没有结束的节假日期间。" in html
    xlsx = next(p for p in mail.message.iter_attachments() if p.get_filename().endswith("xlsx"))
    assert xlsx.get_filename() == "服务监督月报-2026-11.xlsx"
    book = load_workbook(io.BytesIO(xlsx.get_content()))
    sheet = book["客户回访"]
    cell = sheet["A3"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")  # text, never a formula
    assert [c.value for c in sheet[5]] == ["合计", 6, 2, 1, 1, 2, 0, 66.7, 4]
    assert sheet["A1"].value == "数据截至 2026年11月30日 24:00"
    assert sheet["B1"].value.startswith("口径")
    assert "数据截至 2026年11月30日 24:00" in html
    assert book["投诉咨询建议"]["H6"].value == 60.0


# --- holiday availability (R3): hand-counted National Day 2026 and Mid-Autumn 2026 ---------
OCT, SEP = Month(2026, 10), Month(2026, 9)
MID_AUTUMN = period_by_id("2026-mid-autumn", WorkCalendar(), SH)
OCT_ROWS = [  # sorted by customer name, then URL, as the R3 report sorts them
    ["https://site1.example.cn", "乙公司", "PB 项目PB", 24, 6, 25.0, 90, 1],
    ["https://site0.example.cn", "甲公司", "PA 项目PA", 24, 24, 100.0, 0, 0],
    ["合计", "", "", 48, 30, 62.5, 90, 1],
]
OCT_SUMMARY = [
    "2026年国庆节",
    "2026年9月30日 18:00 → 2026年10月7日 24:00",
    2,
    48,
    30,
    62.5,
    1,
    90,
    1,
    1,
]


def watch_holidays(uow, settings) -> None:
    """Two sites watched over National Day 2026 (24 rounds of 5 min from 30 Sep 18:00): site0
    up throughout; site1 down in rounds 3-20 (18 rounds = 90 min), alerted at round 5 (the 3rd
    failure), reminded once at round 17 (60 min later), recovered at round 21. Ad-hoc checks
    (inside and before the window) and Mid-Autumn's rounds (2 checks, 1 up: September's) must
    not count in October."""
    a, b = build_watch(uow, sites=2)
    watch = watch_env(settings)
    ma = [MID_AUTUMN.start, MID_AUTUMN.start + timedelta(minutes=5)]
    record_round(uow, watch, MID_AUTUMN, ma[0], {a: OK}, ma[0])
    record_round(uow, watch, MID_AUTUMN, ma[1], {a: DOWN}, ma[1])
    close_period(uow, MID_AUTUMN)
    record_adhoc(uow, {a: DOWN}, PERIOD.start - timedelta(hours=1))
    for n in range(24):
        record_round(uow, watch, PERIOD, slot(n), {a: OK, b: DOWN if 3 <= n <= 20 else OK}, slot(n))
        if n == 1:
            record_adhoc(uow, {b: DOWN, a: DOWN}, slot(1) + timedelta(minutes=2))
    close_period(uow, PERIOD)
    deliver_pending(uow.engine, settings.smtp, now=lambda: NOW)


@pytest.fixture
def holidays(settings, uow, smtp):
    watch_holidays(uow, settings)
    smtp.clear()
    return uow


def test_holiday_availability_of_the_periods_that_ended_in_the_month(holidays):
    report = build_report(holidays, OCT, SH, NOW)
    summary = report.section("holidays")
    assert summary.rows == [OCT_SUMMARY] and summary.empty is None
    assert "每 5 分钟一轮" in summary.basis and "不含临时检查" in summary.basis
    sites = report.section("holiday:2026-national-day")
    assert sites.title == "2026年国庆节各网站可用率"
    assert sites.rows == OCT_ROWS
    assert sites.basis.startswith("口径：值守窗口 2026年9月30日 18:00 → 2026年10月7日 24:00 内")
    assert report.notes == []  # no "not yet" note any more
    # National Day's window opened on 30 September, but the period ended in October
    september = build_report(holidays, SEP, SH, NOW)
    assert [s.key for s in september.sections if s.key.startswith("holiday")] == [
        "holidays",
        "holiday:2026-mid-autumn",
    ]
    assert september.section("holidays").rows == [
        ["2026年中秋节", "2026年9月24日 18:00 → 2026年9月27日 24:00", 1, 2, 1, 50.0, 0, 5, 0, 0]
    ]
    english = build_report(holidays, OCT, SH, NOW, "en")
    assert english.section("holidays").rows[0][:2] == [
        "National Day 2026",
        "30 Sep 2026 18:00 → 7 Oct 2026 24:00",
    ]
    assert english.section("holiday:2026-national-day").rows[-1][0] == "Total"


def test_a_month_with_no_period_ending_says_so_in_one_line(holidays):
    report = build_report(holidays, NOV, SH, NOW)
    assert [s.key for s in report.sections if s.key.startswith("holiday")] == ["holidays"]
    assert report.section("holidays").rows == []
    assert report.section("holidays").empty == "节假日网站可用率：2026年11月没有结束的节假日期间。"
    may = build_report(holidays, Month(2026, 5), SH, NOW)  # May Day, not watched: no checks
    assert may.section("holidays").rows == [
        ["2026年劳动节", "2026年4月30日 18:00 → 2026年5月5日 24:00", 0, 0, 0, None, 0, 0, 0, 0]]
    assert not [s for s in may.sections if s.key.startswith("holiday:")]
    # 2027's calendar is not published: New Year 2027 is R3's provisional window, named so
    january = build_report(holidays, Month(2027, 1), SH, NOW, "en")
    assert january.section("holidays").rows == [
        ["New Year's Day 2027 (provisional window)", "31 Dec 2026 18:00 → 3 Jan 2027 24:00",
         0, 0, 0, None, 0, 0, 0, 0]]


def test_the_october_mail_and_xlsx_carry_the_holiday_figures(holidays, settings, smtp):
    env = CaseEnv.from_settings()
    queue_report_mails(
        holidays,
        OCT,
        SH,
        NOW,
        env.mailer,
        font_file=settings.charts.font_file,
        gm_email="gm@careops.test",
        biz_head_email="biz@careops.test",
        cs_head_email="csh@careops.test",
    )
    deliver_pending(holidays.engine, settings.smtp, now=lambda: NOW)
    mails = [m for m in smtp.messages if m.subject.startswith("服务监督月报")]
    assert len(mails) == 1
    text = mails[0].text()
    lines = [line.split() for line in text.splitlines()]  # the plain part keeps the columns
    assert "2026年国庆节各网站可用率" in text
    assert "值守窗口 2026年9月30日 18:00 → 2026年10月7日 24:00 内的值守检查" in text
    assert [
        "2026年国庆节",
        "2026年9月30日",
        "18:00",
        "→",
        "2026年10月7日",
        "24:00",
        "2",
        "48",
        "30",
        "62.5",
        "1",
        "90",
        "1",
        "1",
    ] in lines
    assert [
        "https://site1.example.cn",
        "乙公司",
        "PB",
        "项目PB",
        "24",
        "6",
        "25.0",
        "90",
        "1",
    ] in lines
    assert ["合计", "48", "30", "62.5", "90", "1"] in lines
    assert "中秋节" not in text and "R3" not in text
    artifact = report_markdown(build_report(holidays, OCT, SH, NOW))
    assert "| https://site1.example.cn | 乙公司 | PB 项目PB | 24 | 6 | 25.0 | 90 | 1 |" in artifact
    xlsx = next(p for p in mails[0].message.iter_attachments() if p.get_filename().endswith("xlsx"))
    book = load_workbook(io.BytesIO(xlsx.get_content()))
    assert [c.value for c in book["节假日网站可用率"][3]] == OCT_SUMMARY
    assert [
        [c.value for c in r] for r in book["2026年国庆节各网站可用率"].iter_rows(min_row=3)
    ] == [[None if v == "" else v for v in row] for row in OCT_ROWS]
