"""Fixed contexts for every mail: one case per template and per branch worth seeing.

Used by `tests/support/mail_snapshots.py` (which stored the visible text of each case as the
old per-locale templates rendered it) and by `tests/unit/test_mail_snapshots.py` (which renders
the same cases now and compares). A new mail adds its cases here and its snapshots with
`python -m tests.support.mail_snapshots --write NAME`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from careops.services.callbacks.call_lists import CallListEntry
from careops.services.callbacks.months import MonthSummary
from careops.services.cases.notices import CustomerCaseView
from careops.services.cases.queries import CaseView
from careops.services.faults.queries import FaultView, TimelineEntry
from careops.services.faults.recipients import Unreached
from careops.services.supervision.report import MonthlyReport, Section
from careops.services.watch.periods import Readiness
from careops.services.watch.report import AvailabilityReport, CustomerAvailability, SiteAvailability
from careops.services.weekly.facts import CallbackFact, FaultFact, WeekFacts
from careops.services.weekly.report import Person, RatePoint, ReportView, SubmissionView
from tests.support.survey_mail_fixtures import SURVEY_CASES

LOCALES = ("zh_CN", "en")


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _entry(n: int, due: date, outcome: str | None, last: str | None) -> CallListEntry:
    return CallListEntry(
        callback_id=100 + n, due_date=due, project_code=f"P-2024-{n:03d}",
        project_name=f"项目{n}号楼安防", customer_name=f"华东客户{n}有限公司",
        contact_name=f"联系人{n}", contact_phone=f"1391234567{n}", assignee_id=7,
        assignee_name="韩梅梅", status="done" if outcome else "open", outcome=outcome,
        satisfaction=5 if outcome == "reached" else None, last_outcome=last,
    )


CALLBACKS = [
    _entry(1, date(2026, 12, 1), None, "reached"),
    _entry(2, date(2026, 12, 15), None, "not_reached"),
    _entry(3, date(2026, 12, 31), None, None),
]

TIMELINE = [
    TimelineEntry(_at(9, 29, 1, 5), "reported", "李雷", "major fault reported"),
    TimelineEntry(
        _at(9, 29, 1, 5), "notice:notice", "careops", "to a@careops.test, b@careops.test"
    ),
    TimelineEntry(_at(9, 29, 2, 0), "filed", "赵经理", "已安排抢修"),
    TimelineEntry(_at(9, 29, 3, 30), "update", "李雷", "备用节点已接管"),
]

ANALYSIS = {
    "impact": "华东区约 1,200 名用户无法登录，持续 5 小时。",
    "handling": "切换备用节点，扩容数据库连接池。",
    "root_cause": "数据库连接池耗尽。",
    "corrective_actions": "扩容连接池。",
    "preventive_actions": "增加连接数监控告警。",
    "author": "李雷",
    "submitted_at": _at(10, 8, 2, 15),
}


def fault(**changes: Any) -> FaultView:
    values: dict[str, Any] = dict(
        id=42, project_code="P-2024-017", project_name="智慧园区平台", customer_name="华东电力公司",
        contact_name="王经理", severity="major", state="filed", occurred_at=_at(9, 29, 0, 40),
        place="上海机房 B2", symptoms="首页 502\n部分用户无法登录", handling_plan="切换备用节点",
        reporter="李雷", reported_at=_at(9, 29, 1, 5), filed_at=_at(9, 29, 2, 0),
        filed_by="赵经理", escalated_at=None, resolved_at=_at(9, 30, 7, 0),
        ended_at=_at(9, 30, 6, 45), resolution="数据库连接池扩容后恢复", unfiled_reason=None,
        analysis_due_at=_at(10, 9, 16, 0), analysis_due_pending_year=None, analysed_at=None,
        closed_at=None,
        next_chase_at=None, chases_sent=0, timeline=TIMELINE, analysis=None,
    )
    values.update(changes)
    return FaultView(**values)


def _summary(full: bool) -> MonthSummary:
    if not full:
        return MonthSummary("2026-11", planned=2, done=2, outcomes={"reached": 2},
                            average_satisfaction=None,
                            by_assignee=[{"assignee": "韩梅梅", "planned": 2, "done": 2,
                                          "missed": 0}])
    return MonthSummary(
        "2026-11", planned=12, done=9, missed=3, cancelled=1,
        outcomes={"reached": 7, "not_reached": 1, "declined": 1}, average_satisfaction=4.5,
        by_assignee=[
            {"assignee": "韩梅梅", "planned": 7, "done": 6, "missed": 1},
            {"assignee": "李华", "planned": 5, "done": 3, "missed": 2},
        ],
        missed_list=CALLBACKS[:2],
    )


DEADLINE = _at(10, 9, 16, 0)  # midnight in Shanghai: reads as 24:00 of 9 Oct

UNREACHED = [
    Unreached("sales", "missing", project="P-2024-017"),
    Unreached("manager", "inactive", name="赵经理"),
    Unreached("dept:BIZ", "nobody", name="BIZ"),
    Unreached("customer", "no_email", name="王经理"),
]

CUSTOMER_REPORT = {
    "id": 42, "project_name": "智慧园区平台", "customer_name": "华东电力公司",
    "contact_name": "王经理", "occurred_at": _at(9, 29, 0, 40), "ended_at": _at(9, 30, 6, 45),
    **{k: v for k, v in ANALYSIS.items() if k not in ("author", "submitted_at")},
}

def case(**changes: Any) -> CaseView:
    values: dict[str, Any] = dict(
        id=7, kind="complaint", state="open", customer_code="C0042", customer_name="华东电力公司",
        contact_name="王经理", customer_locale="zh_CN", project_code="P-2024-017",
        project_name="智慧园区平台", callback_id=None, channel="phone",
        text="后台登录后白屏，\n已经两天了", received_at=_at(9, 30, 8, 0), special=False,
        special_reason=None, promised_on=None, important=False, due_at=_at(10, 10, 16, 0),
        warn_at=_at(10, 10, 1, 0), owner_code="CS001", owner_name="韩梅梅",
        taken_by_name="韩梅梅", department="TS", result=None, answered_at=None, opinion=None,
        opinion_comment=None, reopened_count=0, closed_at=None, deadline_met=None, history=[],
    )
    values.update(changes)
    return CaseView(**values)


CUSTOMER_CASE = CustomerCaseView(7, "complaint", "王经理", "华东电力公司", _at(9, 30, 8, 0),
                                 "后台登录后白屏，\n已经两天了", "已修复缓存配置。\n请刷新后再试。")


# November's figures are taken at its end: 1 Dec 00:00 in Shanghai, read as 30 Nov 24:00
NOV_END = (_at(11, 30, 16, 0), "数据截至 2026年11月30日 24:00")


def _report() -> MonthlyReport:
    report = MonthlyReport("2026-11", "zh_CN", _at(11, 30, 0, 0), *NOV_END)
    report.sections = [Section("cases", "投诉咨询建议", "口径：本月受理的事项，按受理时间计。",
                               ["类型", "受理", "按期率%"], [["投诉", 3, 50.0], ["合计", 3, None]])]
    report.sections.append(Section(
        "holidays", "节假日网站可用率", "口径：最后一天在本月的节假日期间，按检查时间计。",
        ["节假日期间", "值守窗口", "值守网站", "可用率%"],
        [["2026年国庆节", "2026年9月30日 18:00 → 2026年10月7日 24:00", 2, 62.5]]))
    report.sections.append(Section(
        "holiday:2026-national-day", "2026年国庆节各网站可用率", "口径：值守窗口内的值守检查。",
        ["网站", "可用率%"], [["https://shop.example.cn", 25.0], ["合计", 62.5]]))
    return report


def _quiet_report() -> MonthlyReport:
    report = MonthlyReport("2026-11", "zh_CN", _at(11, 30, 0, 0), *NOV_END)
    report.sections = [Section("holidays", "节假日网站可用率", "口径", ["节假日期间"], [],
                               empty="节假日网站可用率：2026年11月没有结束的节假日期间。")]
    return report


# case id → (template, context); the case id starts with the template name
def _plan(day: date):
    from zoneinfo import ZoneInfo

    from careops.rules.weekly import IsoWeek, StepTimes, schedule

    return schedule(IsoWeek.of(day), day, StepTimes(), ZoneInfo("Asia/Shanghai"))


MOVED = _plan(date(2026, 9, 30))  # Friday 10-02 is National Day: the meeting moves to Wednesday
FRIDAY = _plan(date(2026, 11, 27))
LEI = Person(1, "TS001", "李雷", "ts001@careops.test", "zh_CN")
WEEK_FACTS = WeekFacts(
    done=[CallbackFact("P-2024-001", "华东客户1有限公司", date(2026, 9, 28), "reached",
                       _at(9, 28, 3))],
    not_reached=[CallbackFact("P-2024-002", "华东客户2有限公司", date(2026, 9, 29),
                              "not_reached", _at(9, 29, 3))],
    missed=[CallbackFact("P-2024-003", "华东客户3有限公司", date(2026, 9, 29), None, None)],
    faults_reported=[FaultFact(42, "P-2024-001", "华东客户1有限公司", "major", "resolved",
                               "首页 502", _at(9, 28, 1, 10), _at(9, 28, 3, 40))],
    faults_resolved=[
        FaultFact(42, "P-2024-001", "华东客户1有限公司", "major", "resolved", "首页 502",
                  _at(9, 28, 1, 10), _at(9, 28, 3, 40)),
        FaultFact(40, "P-2024-002", "华东客户2有限公司", "minor", "closed", "打印机驱动异常",
                  _at(9, 25, 2), _at(9, 29, 6)),
    ],
)
LINKS = {"ui_form_url": "http://127.0.0.1:4200/deployments/deployment/abc/run",
         "cli_command": "careops weekly submit --staff TS001 --week 2026-W40 "
                        "--situation-file situation.md --feedback-file feedback.md",
         "web_url": None, "link_until": None, "can_mark_away": False}
SUBMISSION = SubmissionView("TS001", "李雷",
                            "本周巡检 3 个站点，均正常。\n处理 P-2024-001 首页 502。",
                            "客户希望增加一次培训。", "需要采购备件", _at(9, 30, 3, 30), 2, False)
REPORT = ReportView(
    "2026-W40", date(2026, 9, 30), _at(9, 30, 6), submissions=[SUBMISSION],
    missing=[Person(2, "TS002", "韩梅梅", "ts002@careops.test", "zh_CN"),
             Person(3, "TS003", "Tom Lee", "ts003@careops.test", "en")],
    away=[(Person(4, "TS004", "王出差", "ts004@careops.test", "zh_CN"), "出差"),
          (Person(5, "TS005", "赵休假", "ts005@careops.test", "zh_CN"), "")],
    facts=WEEK_FACTS,
    history=[RatePoint("2026-W38", date(2026, 9, 18), 4, 4),
             RatePoint("2026-W39", date(2026, 9, 24), 0, 0),
             RatePoint("2026-W40", date(2026, 9, 30), 3, 1)],
)
EMPTY_REPORT = ReportView("2026-W48", date(2026, 11, 27), _at(11, 27, 6),
                          missing=[LEI], history=[RatePoint("2026-W48", date(2026, 11, 27), 1, 0)])

def _period():
    from zoneinfo import ZoneInfo

    from careops.calendar import WorkCalendar
    from careops.rules.holidays import period_by_id

    return period_by_id("2026-national-day", WorkCalendar(), ZoneInfo("Asia/Shanghai"))


def _new_year_2027(published: bool = False):
    """New Year 2027: provisional (no 2027.toml: statutory days + weekends), or published."""
    from zoneinfo import ZoneInfo

    from careops.calendar import WorkCalendar, YearSupplement, statutory_days
    from careops.rules.holidays import period_by_id, provisional_supplement

    if published:
        cal = WorkCalendar({2027: YearSupplement(2027, frozenset({date(2027, 1, 1)}),
                                                 names={date(2027, 1, 1): "元旦"})})
    else:
        cal = WorkCalendar().provisional(lambda y: provisional_supplement(y, statutory_days(y)))
    return period_by_id("2027-new-year", cal, ZoneInfo("Asia/Shanghai"))


SITE = {"url": "https://www.huaxin.example.cn", "project_code": "P2023001",
        "project_name": "华信科技官网改版", "customer_name": "华信科技有限公司",
        "since": _at(10, 1, 2, 5), "last_error": "no response within 10 s", "streak": 3,
        "kind": "alert", "number": 0, "limit": 3, "down_minutes": 10}
DOWN_SITE = {**SITE, "started_at": _at(10, 1, 2, 5), "ended_at": _at(10, 1, 3, 40),
             "downtime_minutes": 95}
READINESS = Readiness(
    "2026-national-day", sites=6,
    down=[{"url": "https://cms.xihu.example.cn/health", "project": "P2024002 西湖CMS",
           "error": "HTTP 502"}],
    certificates=[{"url": "https://shop.pujiang.example.cn", "project": "P2023002 浦江商城",
                   "expires_at": _at(10, 10, 0, 0)}],
    no_contact=[{"url": "https://track.cjwl.example.cn", "project": "P2025001 长江物流"}],
    no_duty=["2026-10-04", "2026-10-05"])
AVAILABILITY = AvailabilityReport(
    _period(), 5,
    [SiteAvailability("https://www.huaxin.example.cn", "P2023001 华信科技官网改版",
                      "华信科技有限公司", checks=2064, up=2045, downtime_minutes=95,
                      incidents=[{"started_at": _at(10, 1, 2, 5), "ended_at": _at(10, 1, 3, 40),
                                  "minutes": 95, "still_down_at_end": False,
                                  "error": "no response within 10 s"}],
                      p50=180, p95=420, p99=950),
     SiteAvailability("https://shop.pujiang.example.cn", "P2023002 浦江贸易在线商城",
                      "浦江贸易有限公司", checks=2064, up=2064, p50=90, p95=150, p99=300)],
    [CustomerAvailability("华信科技有限公司", 1, 2064, 2045, 95, 1),
     CustomerAvailability("浦江贸易有限公司", 1, 2064, 2064, 0, 0)])

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "case_suggestion": ("case_suggestion", {"case": case(kind="suggestion", department=None)}),
    "case_suggestion.pending": ("case_suggestion", {"case": case(
        kind="suggestion", department=None, due_at=None, warn_at=None, due_pending_year=2027)}),
    "case_deadline_pending": ("case_deadline_pending", {
        "case": case(received_at=_at(12, 29, 2, 0), due_at=None, warn_at=None,
                     due_pending_year=2027, department=None),
        "year": 2027, "error": "the 2027 working-day calendar is not published "
                               "(config/calendar/2027.toml is missing)"}),
    "case_warning": ("case_warning", {"case": case()}),
    "case_breach": ("case_breach", {"case": case()}),
    "case_breach.consultation": ("case_breach", {"case": case(kind="consultation",
                                                              due_at=_at(10, 1, 8, 0))}),
    "case_opened": ("case_opened", {
        "case": case(), "case_url": "http://127.0.0.1:8400/staff/case/TOKEN",
        "case_url_until": _at(11, 9, 16, 0)}),
    "case_handover": ("case_handover", {"case": case(special=True, special_reason="需厂商配合"),
                                        "previous_owner": "李雷", "reason": "休假"}),
    "case_reopened": ("case_reopened", {"case": case(opinion_comment="还是白屏", result="已修复")}),
    "case_result": ("case_result", {"case": CUSTOMER_CASE,
                                    "opinion_url": "http://127.0.0.1:8400/opinion/TOKEN"}),
    "monthly_report": ("monthly_report", {"report": _report(), "chart_cids": []}),
    "monthly_report.no_holiday": ("monthly_report", {"report": _quiet_report(),
                                                     "chart_cids": []}),
    "watch_alert": ("watch_alert", {"site": SITE, "period": "2026-national-day", "missing": []}),
    "watch_alert.reminder_missing": ("watch_alert", {
        "site": {**SITE, "kind": "reminder", "number": 2, "down_minutes": 130},
        "period": "2026-national-day",
        "missing": [{"kind": "ts_contact", "project": "P2023001"},
                    {"kind": "duty", "day": date(2026, 10, 4)}]}),
    "watch_recovery": ("watch_recovery", {"site": DOWN_SITE, "period": "2026-national-day",
                                          "missing": []}),
    "watch_group": ("watch_group", {
        "sites": [SITE, {**SITE, "url": "https://shop.pujiang.example.cn", "kind": "reminder",
                         "number": 1}],
        "failing": 37, "checked": 40, "at": _at(10, 2, 12, 15), "period": "2026-national-day"}),
    "watch_group_recovery": ("watch_group_recovery", {
        "sites": [DOWN_SITE], "at": _at(10, 1, 3, 40), "period": "2026-national-day"}),
    "watch_readiness": ("watch_readiness", {"period": _period(), "readiness": READINESS,
                                            "checked_at": _at(9, 24, 1, 0), "margin_days": 7}),
    "watch_readiness.all_ready": ("watch_readiness", {
        "period": _period(), "readiness": Readiness("2026-national-day", sites=6),
        "checked_at": _at(9, 24, 1, 0), "margin_days": 7}),
    "watch_report": ("watch_report", {"period": _period(), "availability": AVAILABILITY}),
    "watch_report.provisional": ("watch_report", {
        "period": _new_year_2027(), "availability": replace(
            AVAILABILITY, period=_new_year_2027(), left_out=0)}),
    "watch_report.left_out": ("watch_report", {
        "period": _new_year_2027(True), "availability": replace(
            AVAILABILITY, period=_new_year_2027(True), left_out=12)}),
    "watch_readiness.provisional": ("watch_readiness", {
        "period": _new_year_2027(), "readiness": Readiness("2027-new-year", sites=6),
        "checked_at": _at(12, 28, 1, 0), "margin_days": 7}),
    "watch_readiness.published": ("watch_readiness", {
        "period": _new_year_2027(True), "readiness": Readiness("2027-new-year", sites=6),
        "checked_at": _at(12, 30, 1, 0), "margin_days": 7, "replaces": _at(12, 28, 1, 0)}),
    "watch_alert.provisional": ("watch_alert", {
        "site": SITE, "period": "2027-new-year", "missing": [], "provisional": True,
        "provisional_year": 2027}),
    "watch_calendar_missing": ("watch_calendar_missing", {"year": 2027,
                                                          "period": _new_year_2027()}),
    "watch_calendar_missing.no_period": ("watch_calendar_missing", {"year": 2027,
                                                                     "period": None}),
    "call_list": ("call_list", {"staff_name": "韩梅梅", "month": "2026-12",
                                "callbacks": CALLBACKS, "total": 3, "link": None}),
    "call_list.truncated": ("call_list", {"staff_name": "韩梅梅", "month": "2026-12",
                                          "callbacks": CALLBACKS[:2], "total": 250,
                                          "link": None}),
    "call_list.personal_link": ("call_list", {
        "staff_name": "韩梅梅", "month": "2026-12", "callbacks": CALLBACKS, "total": 3,
        "link": "https://careops.example.cn/staff/calls/tok"}),
    "callback_month_summary": ("callback_month_summary",
                               {"summary": _summary(True), "head_name": "王主管"}),
    "callback_month_summary.quiet": ("callback_month_summary",
                                     {"summary": _summary(False), "head_name": "王主管"}),
    "fault_notice": ("fault_notice", {"fault": fault(state="reported"), "purpose": "notice",
                                      "unreached": UNREACHED}),
    "fault_notice.minor": ("fault_notice", {"fault": fault(severity="minor", state="reported"),
                                            "purpose": "notice", "unreached": []}),
    "fault_filed": ("fault_filed", {"fault": fault(), "purpose": "filed",
                                    "comment": "已安排抢修"}),
    "fault_filed.no_comment": ("fault_filed", {"fault": fault(), "purpose": "filed",
                                               "comment": None}),
    "fault_chase": ("fault_chase", {"fault": fault(state="reported"),
                                    "purpose": "filing_reminder", "chase_number": 1,
                                    "chase_total": 3, "final": False, "deadline": None,
                                    "overdue": False}),
    "fault_escalation": ("fault_escalation", {"fault": fault(state="escalated"),
                                              "purpose": "filing_escalation",
                                              "chase_number": 2, "chase_total": 3,
                                              "final": False, "deadline": None,
                                              "overdue": False}),
    "fault_escalation.final": ("fault_escalation", {"fault": fault(state="escalated",
                                                                   severity="minor"),
                                                    "purpose": "filing_escalation",
                                                    "chase_number": 3, "chase_total": 3,
                                                    "final": True, "deadline": None,
                                                    "overdue": False}),
    "fault_update": ("fault_update", {"fault": fault(), "purpose": "update",
                                      "note": "备用节点已接管", "by": "李雷"}),
    "fault_analysis_request": ("fault_analysis_request", {"fault": fault(state="resolved"),
                                                          "purpose": "analysis_request",
                                                          "deadline": DEADLINE}),
    "fault_analysis_request.pending": ("fault_analysis_request", {
        "fault": fault(state="resolved", analysis_due_at=None, analysis_due_pending_year=2027),
        "purpose": "analysis_request", "deadline": None, "year": 2027,
    }),
    "fault_deadline_pending": ("fault_deadline_pending", {
        "fault": fault(state="resolved", analysis_due_at=None, analysis_due_pending_year=2027),
        "purpose": "deadline_pending", "year": 2027,
        "error": "no working-day calendar for 2027: add config/calendar/2027.toml",
    }),
    "fault_analysis_customer": ("fault_analysis_customer", {"report": CUSTOMER_REPORT}),
    "fault_analysis_chase": ("fault_analysis_chase", {"fault": fault(state="resolved"),
                                                      "purpose": "analysis_reminder",
                                                      "chase_number": 1, "chase_total": 2,
                                                      "final": False, "deadline": DEADLINE,
                                                      "overdue": False}),
    "fault_analysis_chase.overdue": ("fault_analysis_chase", {"fault": fault(state="resolved"),
                                                              "purpose": "analysis_overdue",
                                                              "chase_number": 2,
                                                              "chase_total": 2, "final": True,
                                                              "deadline": DEADLINE,
                                                              "overdue": True}),
    "fault_analysis_report": ("fault_analysis_report", {
        "fault": fault(state="analysed", analysis=ANALYSIS), "purpose": "report",
        "unreached": UNREACHED[3:],
    }),
    "ops_outbox_failed": ("ops_outbox_failed", {
        "count": 7, "more": 5, "max_attempts": 8,
        "messages": [
            {"id": 301, "category": "call_list", "attempts": 8,
             "error": "SMTP 451 4.3.0 mailbox temporarily unavailable"},
            {"id": 302, "category": "fault_notice", "attempts": 0,
             "error": "no usable recipient address: <@careops.local>"},
        ],
    }),
    "ops_outbox_failed.all_listed": ("ops_outbox_failed", {
        "count": 1, "more": 0, "max_attempts": 8,
        "messages": [{"id": 303, "category": "callback_month_summary", "attempts": 8,
                      "error": "SMTP 554 5.7.1 relay access denied"}],
    }),
    "doctor_alert": ("doctor_alert", {
        "check": "calendar", "day": date(2026, 11, 1), "checked_at": _at(10, 31, 23, 30),
        "detail": "working days unknown for [2027] (2027: next year's calendar is due from "
                  "1 November): add config/calendar/2027.toml from the State Council's notice "
                  "(config/calendar/README.md)",
        "others": ["worker", "last runs"],
    }),
    "doctor_alert.alone": ("doctor_alert", {
        "check": "smtp", "day": date(2026, 12, 2), "checked_at": _at(12, 1, 23, 30),
        "detail": "smtp.example.cn:587 unreachable: [Errno 111] Connection refused",
        "others": [],
    }),
    "ops_failure": ("ops_failure", {
        "flow_name": "plan-callbacks", "flow_run_name": "brave-otter", "state": "Failed",
        "message": "数据库不可达\nsqlite3.OperationalError: database is locked",
        "run_url": "http://127.0.0.1:4200/runs/flow-run/1",
    }),
    "weekly_reminder": ("weekly_reminder", {"person": LEI, "plan": MOVED, "week": "2026-W40",
                                            "facts": WEEK_FACTS, "submitted": False, **LINKS}),
    "weekly_reminder.quiet_week": ("weekly_reminder", {
        "person": LEI, "plan": FRIDAY, "week": "2026-W48", "facts": WeekFacts(),
        "submitted": True, **LINKS, "web_url": "https://careops.example.cn/weekly/2026-W48"}),
    "weekly_reminder.personal_link": ("weekly_reminder", {
        "person": LEI, "plan": FRIDAY, "week": "2026-W48", "facts": WeekFacts(),
        "submitted": False, **LINKS, "web_url": "https://careops.example.cn/staff/weekly/tok",
        "link_until": _at(12, 4, 16), "can_mark_away": True}),
    "weekly_nudge": ("weekly_nudge", {"person": LEI, "plan": MOVED, "week": "2026-W40",
                                      "submitted": False, **LINKS}),
    "weekly_report": ("weekly_report", {"report": REPORT, "plan": MOVED,
                                        "chart_cid": "rate@careops.local", "chart_error": None}),
    "weekly_report.nobody": ("weekly_report", {
        "report": EMPTY_REPORT, "plan": FRIDAY, "chart_cid": None,
        "chart_error": "chart font /usr/share/fonts/none.ttc is missing"}),
    "weekly_addendum": ("weekly_addendum", {"plan": MOVED, "week": "2026-W40", "person": LEI,
                                            "submission": SUBMISSION}),
    **SURVEY_CASES,
}
