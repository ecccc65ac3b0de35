"""Fixed contexts of the R2 mails (joined into tests/support/mail_fixtures.CASES)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from careops.rules.survey import choice_labels
from careops.services.survey.campaign import ListedCustomer
from careops.services.survey.gift_shipments import Shipment
from careops.services.survey.summary import AnswerRow, NeedsSummary

_INVITATION = {
    "year": 2026, "next_year": 2027, "customer_name": "华东电力公司", "contact_name": "王经理",
    "projects": ["智慧园区平台", "官网改版"], "survey_url": "http://127.0.0.1:8400/survey/abc.def",
    "closes_on": date(2027, 1, 5), "gift_kind": "定制礼盒（茶叶+台历）", "reminder": 0,
    "signature": "韩梅梅",
}
_CAMPAIGN = {"year": 2026, "campaign_day": date(2026, 12, 1), "closes_on": date(2027, 1, 5),
             "members": 186, "new_customers": 23, "old_customers": 163, "no_calls": 4,
             "created": 186}
_RETURNED = [Shipment("G2026-C00017", "王经理", "13912345678", "上海市浦东新区世纪大道100号",
                      "新年礼盒", "C00017", "华东电力公司", "old", "returned", "SF1234567890")]


def _summary(answers: bool) -> NeedsSummary:
    summary = NeedsSummary(2026, date(2027, 1, 5), members=186, invited=180)
    if not answers:
        return summary
    at = datetime(2026, 12, 9, 2, 30, tzinfo=UTC)
    summary.answered, summary.by_channel = 2, {"web": 1, "letter": 1}
    summary.answered_invited = 1  # the letter came from a customer never mailed
    summary.needs = {"website": 2, "security": 1}
    summary.budget_by_need = {"website": {"50k_200k": 1, "undecided": 1},
                              "security": {"undecided": 1}}
    summary.timing_by_need = {"website": {"q2": 2}, "security": {"q3": 1}}
    summary.answers = [
        AnswerRow("C00017", "华东电力公司", "old", "A", "web", ["website", "security"], "",
                  "50k_200k", "q2", "visit", "希望三月前完成\n预算待董事会批准", at),
        AnswerRow("C00042", "上海港务公司", "new", "B", "letter", ["website"], "英文站点",
                  None, "q2", None, "", at),
    ]
    return summary


def _needs(answers: bool) -> dict[str, Any]:
    return {"summary": _summary(answers), "charts": {"needs": "needs@x", "timing": "timing@x"}
            if answers else {}, "choice_labels": {loc: choice_labels(loc)
                                                  for loc in ("zh_CN", "en")}}


SURVEY_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "survey_invitation": ("survey_invitation", _INVITATION),
    "survey_reminder": ("survey_reminder", {**_INVITATION, "reminder": 1}),
    "gift_list": ("gift_list", {
        "head_name": "韩梅梅", "campaign": _CAMPAIGN, "without_email": ["C00102", "C00150"],
        "listed": [ListedCustomer("C00188", "苏州电子厂", "only retired projects"),
                   ListedCustomer("C00190", "杭州软件园", "no delivered project")]}),
    "gift_list.all_listed": ("gift_list", {"head_name": "", "campaign": _CAMPAIGN,
                                           "without_email": [], "listed": []}),
    "gifts_returned": ("gifts_returned", {"head_name": "韩梅梅", "year": 2026,
                                          "returned": _RETURNED}),
    "survey_digest": ("survey_digest", {
        "head_name": "韩梅梅", "today": date(2026, 12, 14), "year": 2026, "members": 186,
        "invited": 180, "answered": 61, "answered_invited": 58, "without_invitation": 3,
        "rate": "32%", "by_channel": {"web": 55, "phone": 6},
        "returned_gifts": 2, "not_answered": 119, "closes_on": date(2027, 1, 5)}),
    # nobody mailed yet (no addresses), two answers taken by phone: no rate, not "100% (2/0)"
    "survey_digest.none_invited": ("survey_digest", {
        "head_name": "韩梅梅", "today": date(2026, 12, 14), "year": 2026, "members": 4,
        "invited": 0, "answered": 2, "answered_invited": 0, "without_invitation": 2,
        "rate": "n/a", "by_channel": {"phone": 2}, "returned_gifts": 0, "not_answered": 0,
        "closes_on": date(2027, 1, 5)}),
    "needs_summary": ("needs_summary", _needs(True)),
    "needs_summary.no_answers": ("needs_summary", _needs(False)),
}
