"""R2 read side: the response rate (weekly digest) and the needs summary for management.

Counts are over campaign members: `invited` are those mailed an invitation, `answered` those
with an answer by any channel, `answered_invited` the invited ones among them. The response rate
is answered_invited / invited (so never above 100%; none when nobody was invited): an answer
staff entered for a customer who was never mailed (no address: phone, letter) is an answer for
the summary, `without_invitation`, but not a response to an invitation.
The summary gives needs by category, budget and timing per category, one row per customer,
charts (PNG, Chinese labels) and an XLSX of every answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.charts import BarChart, bar_chart_png
from careops.db.models.common import Customer
from careops.db.models.survey import CampaignMember, ShipmentStatus, SurveyAnswer
from careops.exports import xlsx_bytes
from careops.i18n import translate
from careops.rules.survey import BUDGETS, CONTACTS, NEEDS, TIMINGS, label, response_rate
from careops.services.survey.campaign import get_campaign


@dataclass(frozen=True)
class AnswerRow:
    customer_code: str
    customer: str
    new_or_old: str
    tier: str
    channel: str
    needs: list[str]
    needs_other: str
    budget: str | None
    timing: str | None
    contact_preference: str | None
    comments: str
    updated_at: datetime


@dataclass
class NeedsSummary:
    year: int
    closes_on: date
    members: int = 0
    invited: int = 0
    answered: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    needs: dict[str, int] = field(default_factory=dict)  # category → customers
    budget_by_need: dict[str, dict[str, int]] = field(default_factory=dict)
    timing_by_need: dict[str, dict[str, int]] = field(default_factory=dict)
    answers: list[AnswerRow] = field(default_factory=list)
    returned_gifts: int = 0
    not_answered: list[str] = field(default_factory=list)  # customer codes
    answered_invited: int = 0  # answers of members who were mailed an invitation

    @property
    def without_invitation(self) -> int:
        """Answers of members never invited (taken by phone or letter)."""
        return self.answered - self.answered_invited

    @property
    def rate(self) -> float | None:
        return response_rate(self.answered_invited, self.invited)

    def rate_text(self) -> str:
        return "n/a" if self.rate is None else f"{self.rate:.0%}"


def needs_summary(session: Session, year: int) -> NeedsSummary:
    campaign = get_campaign(session, year)
    summary = NeedsSummary(year, campaign.closes_on)
    query = (
        select(CampaignMember, Customer.code, Customer.name, SurveyAnswer)
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .outerjoin(SurveyAnswer, SurveyAnswer.member_id == CampaignMember.id)
        .where(CampaignMember.campaign_id == campaign.id)
        .order_by(Customer.code)
    )
    budgets: dict[str, Counter] = defaultdict(Counter)
    timings: dict[str, Counter] = defaultdict(Counter)
    needs: Counter = Counter()
    channels: Counter = Counter()
    for member, code, name, answer in session.execute(query):
        summary.members += 1
        summary.invited += member.invited_at is not None
        summary.returned_gifts += member.shipment_status == ShipmentStatus.RETURNED
        if answer is None:
            if member.invited_at is not None:
                summary.not_answered.append(code)
            continue
        summary.answered += 1
        summary.answered_invited += member.invited_at is not None
        channels[str(answer.channel)] += 1
        codes = [c for c in answer.needs.split(",") if c]
        for need in codes:
            needs[need] += 1
            budgets[need][answer.budget or "undecided"] += 1
            timings[need][answer.timing or "undecided"] += 1
        summary.answers.append(AnswerRow(
            code, name, str(member.cohort), member.tier, str(answer.channel), codes,
            answer.needs_other, answer.budget, answer.timing, answer.contact_preference,
            answer.comments, answer.updated_at))
    summary.by_channel = dict(channels)
    summary.needs = {c: needs[c] for c in NEEDS if needs[c]}
    summary.budget_by_need = {c: {b: budgets[c][b] for b in BUDGETS if budgets[c][b]}
                              for c in summary.needs}
    summary.timing_by_need = {c: {t: timings[c][t] for t in TIMINGS if timings[c][t]}
                              for c in summary.needs}
    return summary


ANSWER_HEADER = ("customer_code", "customer", "new_or_old", "tier", "channel", "needs",
                 "needs_other", "budget", "timing", "contact_preference", "comments",
                 "updated_at")


def answers_xlsx(summary: NeedsSummary, locale: str, tz) -> bytes:
    """Every answer, labels in `locale`; text typed by customers stays text (no formulas)."""
    rows = (
        [a.customer_code, a.customer, a.new_or_old, a.tier, a.channel,
         "、".join(label(NEEDS, n, locale) for n in a.needs), a.needs_other,
         label(BUDGETS, a.budget, locale), label(TIMINGS, a.timing, locale),
         label(CONTACTS, a.contact_preference, locale), a.comments,
         a.updated_at.astimezone(tz).replace(tzinfo=None)]
        for a in summary.answers
    )
    return xlsx_bytes(f"survey {summary.year}", ANSWER_HEADER, rows,
                      widths=(12, 28, 8, 6, 8, 30, 24, 14, 10, 12, 50, 18))


def summary_charts(summary: NeedsSummary, locale: str, font_file: Path) -> dict[str, bytes]:
    """PNG charts: customers per need; answers by timing (all needs)."""
    charts = {}
    if summary.needs:
        charts["needs"] = bar_chart_png(BarChart(
            title=translate(locale, "Customers per need"),
            labels=[label(NEEDS, c, locale) for c in summary.needs],
            values=list(summary.needs.values()),
        ), font_file, width=7.2)
        timing = Counter()
        for per in summary.timing_by_need.values():
            timing.update(per)
        charts["timing"] = bar_chart_png(BarChart(
            title=translate(locale, "When the needs are expected"),
            labels=[label(TIMINGS, t, locale) for t in TIMINGS],
            values=[timing[t] for t in TIMINGS],
        ), font_file)
    return charts
