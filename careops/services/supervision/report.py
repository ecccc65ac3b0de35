"""R7 monthly service supervision report: the figures of a month, its XLSX and its mail.

Built from the processes careops runs — callbacks (R1), faults (R5), cases (R6), the
weekly-report submission rate (R4) and the holiday availability of the holiday periods that
ended in the month (R3, services/supervision/holiday_availability.py). Each table states its
basis. The mail goes to the GM, the BIZ head and the CS head (fallback addresses in settings),
in each one's language, with two charts inline and the XLSX attached; queued once per month
and language.

Every figure is taken at one instant, `as_of`: the end of the month (local midnight starting
the next one, shown as 24:00 of its last day, the Civil Code's end of a period as in R6), or
now for a month not over yet. What was recorded at or after it (a case answered or closed, a
fault resolved, a callback recorded late in the next month) does not change the month, so a
past month reads the same whichever day it is built; the instant is shown in the mail, the
XLSX, the artifact and the CLI.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careops.charts import BarChart, bar_chart_png
from careops.db.models.callbacks import Callback, CallbackAttempt, CallbackStatus
from careops.db.models.common import Department, Staff
from careops.db.models.faults import Fault, FaultEvent
from careops.db.models.weekly import WeeklyMeeting
from careops.db.uow import UnitOfWork
from careops.exports import is_formula_like
from careops.i18n import Formats, translate
from careops.mail.message import InlineImage, inline_cid
from careops.mailer import Attachment, Mailer
from careops.months import Month
from careops.rules import supervision as figures
from careops.rules.cases import CaseKind
from careops.services.cases.archive import case_facts
from careops.services.cases.notices import heads
from careops.services.supervision.holiday_availability import WatchSource, holiday_tables
from careops.services.supervision.labels import LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Section:
    key: str
    title: str
    basis: str
    headers: list[str]
    rows: list[list]
    empty: str | None = None  # one line shown instead of the table when there are no rows


@dataclass
class MonthlyReport:
    month: str
    locale: str
    generated_at: datetime
    as_of: datetime  # every figure is taken at this instant
    as_of_text: str  # "数据截至 2026年11月30日 24:00"
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    charts: list[BarChart] = field(default_factory=list)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def month_bounds(month: Month, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(month.first_day, time(0), tzinfo=tz)
    return start, datetime.combine(month.next().first_day, time(0), tzinfo=tz)


def _callback_facts(session: Session, month: Month, as_of: datetime, month_over: bool
                    ) -> list[figures.CallbackFact]:
    of_month = (Callback.month == str(month), Callback.status != CallbackStatus.CANCELLED)
    rows = session.execute(
        select(Callback.id, Staff.name, Callback.outcome, Callback.satisfaction,
               Callback.recorded_at)
        .join(Staff, Staff.id == Callback.assignee_id, isouter=True).where(*of_month)
    ).all()
    attempts: dict[int, list[figures.Attempt]] = defaultdict(list)
    for cid, outcome, sat, at in session.execute(
        select(CallbackAttempt.callback_id, CallbackAttempt.outcome,
               CallbackAttempt.satisfaction, CallbackAttempt.recorded_at)
        .where(CallbackAttempt.callback_id.in_(select(Callback.id).where(*of_month)))
        .order_by(CallbackAttempt.callback_id, CallbackAttempt.seq)
    ):
        attempts[cid].append(figures.Attempt(str(outcome), sat, at))
    return [figures.callback_as_of(name or "-", str(outcome) if outcome else None, sat,
                                   recorded, attempts[cid], as_of, month_over)
            for cid, name, outcome, sat, recorded in rows]


def _fault_facts(session: Session, start: datetime, end: datetime, as_of: datetime
                 ) -> list[figures.FaultFact]:
    chases = (select(FaultEvent.fault_id, func.count().label("n"))
              .where(FaultEvent.kind.like("chase:%"), FaultEvent.at < as_of)
              .group_by(FaultEvent.fault_id).subquery())
    rows = session.execute(
        select(Fault, func.coalesce(chases.c.n, 0))
        .join(chases, chases.c.fault_id == Fault.id, isouter=True)
        .where(Fault.reported_at >= start, Fault.reported_at < end, Fault.reported_at < as_of)
    ).all()
    return [figures.FaultFact(str(f.severity), f.reported_at, figures.known_at(f.filed_at, as_of),
                              figures.known_at(f.resolved_at, as_of),
                              figures.known_at(f.analysed_at, as_of), int(n)) for f, n in rows]


def _meeting_facts(session: Session, month: Month, as_of: datetime) -> list[figures.MeetingFact]:
    rows = session.execute(
        select(WeeklyMeeting.week, WeeklyMeeting.meeting_date, WeeklyMeeting.expected_count,
               WeeklyMeeting.submitted_count, WeeklyMeeting.compiled_at)
        .where(WeeklyMeeting.meeting_date >= month.first_day,
               WeeklyMeeting.meeting_date < month.next().first_day)
    ).all()
    return [figures.MeetingFact(week, day, expected, submitted)
            if compiled is None or compiled < as_of else figures.MeetingFact(week, day, None, None)
            for week, day, expected, submitted, compiled in rows]


def build_report(uow: UnitOfWork, month: Month, tz: ZoneInfo, now: datetime,
                 locale: str = "zh_CN", *, watch: WatchSource | None = None) -> MonthlyReport:
    """The month's figures in `locale` (zh_CN or en), taken at the month's end (`now` only
    for a month not over yet, see `figures.report_instant`); `watch`: R3's calendar, holidays
    and round interval (default: the settings')."""
    words = LABELS[locale if locale in LABELS else "zh_CN"]
    start, end = month_bounds(month, tz)
    as_of = figures.report_instant(end, now)
    report = MonthlyReport(str(month), locale, now, as_of, as_of_line(as_of, locale, tz))
    with uow:
        session = uow.session
        facts = _callback_facts(session, month, as_of, month_over=as_of >= end)
        cb_rows = figures.callback_rows(facts)
        fault_rows = figures.fault_rows(_fault_facts(session, start, end, as_of),
                                        ["major", "minor"])
        weekly_rows = figures.weekly_rows(_meeting_facts(session, month, as_of))
    cases = case_facts(uow, start, end, as_of)
    kinds = [k.value for k in (CaseKind.COMPLAINT, CaseKind.CONSULTATION, CaseKind.SUGGESTION)]
    case_rows = figures.case_rows(cases, kinds, as_of)
    name = words["names"]
    if cb_rows:
        cb_rows[-1][0] = name["total"]
    for row in fault_rows:
        row[0] = name[row[0]]
    for row in case_rows:
        row[0] = name[row[0]] if row[0] else name["total"]
    channel_rows = figures.count_rows(name.get(c.channel, c.channel) for c in cases)
    dept_rows = figures.count_rows(c.department or name["none"] for c in cases)
    if weekly_rows:
        weekly_rows[-1][0] = name["total"]
    for key, rows in (("callbacks", cb_rows), ("faults", fault_rows), ("cases", case_rows),
                      ("case_channels", channel_rows), ("case_departments", dept_rows),
                      ("weekly", weekly_rows)):
        text = words["sections"][key]
        report.sections.append(Section(key, text["title"], text["basis"], text["headers"], rows))
    report.sections += [Section(t.key, t.title, t.basis, t.headers, t.rows, t.empty)
                        for t in holiday_tables(uow, month, tz, locale, words, name["total"],
                                                watch or WatchSource.from_settings())]
    report.notes = list(words.get("not_yet", []))
    people = [r for r in cb_rows[:-1]]
    report.charts.append(BarChart(words["charts"]["callbacks"], [r[0] for r in people],
                                  [r[7] for r in people], y_label="%", y_max=100,
                                  value_format="{:.0f}%"))
    report.charts.append(BarChart(words["charts"]["cases"], [r[0] for r in case_rows[:-1]],
                                  [r[7] for r in case_rows[:-1]], y_label="%", y_max=100,
                                  value_format="{:.0f}%"))
    return report


def as_of_line(as_of: datetime, locale: str, tz: ZoneInfo) -> str:
    """`数据截至 2026年11月30日 24:00` / `Figures as of 30 Nov 2026 24:00` (the mail's words)."""
    return translate(locale, "Figures as of %(as_of)s",
                     as_of=Formats(locale, str(tz)).deadline(as_of))


def xlsx_bytes(report: MonthlyReport) -> bytes:
    """One sheet per table (the instant and the basis in the first row), text that looks like
    a formula kept text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for section in report.sections:
        sheet = book.create_sheet(section.title[:31])
        if section.empty and not section.rows:
            sheet.append([report.as_of_text, section.empty])
            continue
        sheet.append([report.as_of_text, section.basis])
        sheet.append(section.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(row)
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str) and is_formula_like(cell.value):
                    cell.data_type = "s"  # never a formula: the text stays text
                    cell.quotePrefix = True
        sheet.freeze_panes = "A3"
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 14
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class ReportRecipient:
    email: str
    locale: str
    name: str


def recipients(session: Session, gm_email: str, biz_head_email: str, cs_head_email: str,
               default_locale: str) -> list[ReportRecipient]:
    out: dict[str, ReportRecipient] = {}
    for department, fallback, label in ((Department.GM, gm_email, "总经理"),
                                        (Department.BIZ, biz_head_email, "业务部负责人"),
                                        (Department.CS, cs_head_email, "客服部负责人")):
        people = heads(session, department)
        found = [ReportRecipient(p.email, p.locale, p.name) for p in people] or [
            ReportRecipient(fallback, default_locale, label)]
        for person in found:
            out.setdefault(person.email.lower(), person)
    return list(out.values())


def queue_report_mails(
    uow: UnitOfWork, month: Month, tz: ZoneInfo, now: datetime, mailer: Mailer, *,
    font_file, gm_email: str, biz_head_email: str, cs_head_email: str,
    default_locale: str = "zh_CN",
) -> list[str]:
    """Queue the month's report, one mail per language, once per month; the addresses."""
    with uow:
        people = recipients(uow.session, gm_email, biz_head_email, cs_head_email,
                            default_locale)
    by_locale: dict[str, list[ReportRecipient]] = {}
    for person in people:
        by_locale.setdefault(person.locale if person.locale in LABELS else "zh_CN",
                             []).append(person)
    for locale, group in sorted(by_locale.items()):
        report = build_report(uow, month, tz, now, locale)
        images = [InlineImage(inline_cid(mailer.sender, f"chart{i}"),
                              bar_chart_png(chart, font_file))
                  for i, chart in enumerate(report.charts) if chart.labels]
        filename = f"{LABELS[locale]['file']}-{month}.xlsx"
        with uow:
            mailer.queue(
                uow.session, key=f"monthly-report:{month}:{locale}",
                template="monthly_report", locale=locale, to=[p.email for p in group],
                category="monthly_report", now=now,
                context={"report": report, "chart_cids": [i.cid for i in images],
                         "recipients": group},
                attachments=[Attachment(filename, xlsx_bytes(report), XLSX)],
                inline_images=images,
            )
            uow.commit()
    return [p.email for p in people]
