"""R2 December needs survey and New Year gifts: the pure rules (no database, no network).

- Who is in the year's campaign: every customer with a project delivered on or before the
  campaign day and not retired by then. New: the first such delivery is in the campaign year.
- The gift kind comes from a table by tier and new/old (`[survey.gifts]`, "*" for any tier).
- A shipment moves planned → shipped → delivered | returned; a courier file may report a later
  step without the earlier one (shipped is then implied), never a step back.
- The answer's choices (needs categories, budget, timing, contact preference) are fixed codes
  with labels in both languages, so the page, the summary and the exports agree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date


class Cohort(enum.StrEnum):
    NEW = "new"
    OLD = "old"


class ShipmentStatus(enum.StrEnum):
    PLANNED = "planned"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"


class AnswerChannel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"
    LETTER = "letter"


@dataclass(frozen=True)
class ProjectFacts:
    delivered_on: date | None
    retired_on: date | None


def campaign_projects(projects: Iterable[ProjectFacts], on: date) -> list[ProjectFacts]:
    """The projects that make their customer part of the campaign on day `on`."""
    return [
        p for p in projects
        if p.delivered_on is not None and p.delivered_on <= on
        and (p.retired_on is None or p.retired_on > on)
    ]


def cohort(projects: Iterable[ProjectFacts], year: int) -> Cohort:
    """New when the customer's first delivery (of any project, retired or not) is in `year`."""
    first = min(p.delivered_on for p in projects if p.delivered_on is not None)
    return Cohort.NEW if first.year == year else Cohort.OLD


def gift_kind(table: Mapping[str, Mapping[str, str]], tier: str, which: Cohort) -> str:
    row = table.get(tier.strip().upper()) or table["*"]
    return row[which.value]


def shipment_code(year: int, customer_code: str) -> str:
    """The courier's reference: stable per year and customer (a re-built campaign keeps it)."""
    return f"G{year}-{customer_code}"


_ORDER = {ShipmentStatus.PLANNED: 0, ShipmentStatus.SHIPPED: 1,
          ShipmentStatus.DELIVERED: 2, ShipmentStatus.RETURNED: 2}


class ShipmentStepError(ValueError):
    pass


def next_steps(current: ShipmentStatus, reported: ShipmentStatus) -> list[ShipmentStatus]:
    """The steps to record when the courier reports `reported` for a shipment at `current`.

    Empty when nothing changes (the same report again). Raises ShipmentStepError for a step
    back or a delivered shipment reported returned (and vice versa).
    """
    if reported == current:
        return []
    if reported == ShipmentStatus.PLANNED or _ORDER[reported] < _ORDER[current]:
        raise ShipmentStepError(f"cannot go back from {current} to {reported}")
    if _ORDER[current] == 2:
        raise ShipmentStepError(f"already {current}, cannot become {reported}")
    steps = []
    if current == ShipmentStatus.PLANNED and reported != ShipmentStatus.SHIPPED:
        steps.append(ShipmentStatus.SHIPPED)
    steps.append(reported)
    return steps


# ---- the answer's choices: code → (Chinese, English) ----------------------------------------

NEEDS = {
    "website": ("网站建设/改版", "Website build or redesign"),
    "app": ("移动应用", "Mobile app"),
    "mini_program": ("小程序", "Mini program"),
    "hosting": ("云主机/托管", "Cloud hosting"),
    "security": ("安全防护", "Security"),
    "maintenance": ("运维服务", "Operations and maintenance"),
    "data": ("数据分析", "Data and analytics"),
    "marketing": ("推广运营", "Online marketing"),
    "other": ("其他", "Other"),
}
BUDGETS = {
    "lt50k": ("5万元以下", "under ¥50k"),
    "50k_200k": ("5万–20万元", "¥50k–200k"),
    "200k_500k": ("20万–50万元", "¥200k–500k"),
    "gt500k": ("50万元以上", "over ¥500k"),
    "undecided": ("尚未确定", "not decided"),
}
TIMINGS = {
    "q1": ("第一季度", "Q1"),
    "q2": ("第二季度", "Q2"),
    "q3": ("第三季度", "Q3"),
    "q4": ("第四季度", "Q4"),
    "undecided": ("尚未确定", "not decided"),
}
CONTACTS = {
    "phone": ("电话", "Phone"),
    "email": ("电子邮件", "E-mail"),
    "visit": ("上门拜访", "A visit"),
    "none": ("暂不需要联系", "No contact for now"),
}

MAX_TEXT = 500  # needs "other" text
MAX_COMMENTS = 2000


def label(choices: Mapping[str, tuple[str, str]], code: str | None, locale: str) -> str:
    if not code:
        return ""
    zh, en = choices.get(code, (code, code))
    return en if locale == "en" else zh


def response_rate(answered: int, invited: int) -> float | None:
    """Share of invited customers who answered (None when nobody was invited)."""
    return answered / invited if invited else None


def campaign_year(today: date) -> int:
    """The campaign a day belongs to: December's own year, else last December's."""
    return today.year if today.month == 12 else today.year - 1


def month_day(year: int, mm_dd: str) -> date:
    """`"01-05"` in the campaign of `year` (January days fall in the next calendar year)."""
    return date.fromisoformat(f"{year + 1 if mm_dd.startswith('01-') else year}-{mm_dd}")


def choice_labels(locale: str) -> dict[str, dict[str, str]]:
    """Every choice's label in `locale`: {"needs": {code: label}, "budgets": ..., ...}."""
    i = 1 if locale == "en" else 0
    return {name: {code: pair[i] for code, pair in choices.items()}
            for name, choices in (("needs", NEEDS), ("budgets", BUDGETS), ("timings", TIMINGS),
                                  ("contacts", CONTACTS))}
