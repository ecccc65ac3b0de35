"""R2 answers: what the survey page shows, saving the customer's answer, staff entry.

An answer is one row per campaign member, saved again (revision + 1) each time the customer
edits it, until the end of the survey's closing day (local); after that the page is closed and
saving raises `SurveyClosed`. Staff enter answers taken by phone or letter (`enter_answer`),
marked with their channel and who entered them; they may do so after the close too (a letter
that arrives late), and such an answer is in the summary if it is entered before it is made.
Every text is length-limited and stripped of control characters here, whatever the caller.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import bindparam, insert, select, update

from careops.db.models.common import Customer
from careops.db.models.survey import (
    AnswerChannel,
    CampaignMember,
    SurveyAnswer,
    SurveyCampaign,
)
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, NotFound
from careops.rules.survey import BUDGETS, CONTACTS, MAX_COMMENTS, MAX_TEXT, NEEDS, TIMINGS
from careops.services.survey.campaign import get_campaign
from careops.services.survey.invitations import member_projects
from careops.services.survey.links import LinkInvalid, SurveyClaim, for_contact


class SurveyClosed(CareopsError):
    """The survey has closed: answers can no longer be changed from the link."""


class AnswerInput(BaseModel):
    """The needs plan: categories (several), budget, timing, contact preference, comments."""

    model_config = ConfigDict(str_strip_whitespace=True)

    needs: list[str] = Field(default_factory=list)
    needs_other: str = Field(default="", max_length=MAX_TEXT)
    budget: str | None = None
    timing: str | None = None
    contact_preference: str | None = None
    comments: str = Field(default="", max_length=MAX_COMMENTS)

    @field_validator("needs")
    @classmethod
    def _needs(cls, codes: list[str]) -> list[str]:
        unknown = [c for c in codes if c not in NEEDS]
        if unknown:
            raise ValueError(f"unknown need(s) {', '.join(unknown)}: one of {', '.join(NEEDS)}")
        return [c for c in NEEDS if c in codes]  # the page's order, each once

    @field_validator("budget", "timing", "contact_preference", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("budget")
    @classmethod
    def _budget(cls, code: str | None) -> str | None:
        return _one_of(code, BUDGETS, "budget")

    @field_validator("timing")
    @classmethod
    def _timing(cls, code: str | None) -> str | None:
        return _one_of(code, TIMINGS, "timing")

    @field_validator("contact_preference")
    @classmethod
    def _contact(cls, code: str | None) -> str | None:
        return _one_of(code, CONTACTS, "contact_preference")

    @field_validator("needs_other")
    @classmethod
    def _one_line(cls, text: str) -> str:
        return " ".join(_clean(text, keep_newlines=True).split())

    @field_validator("comments")
    @classmethod
    def _lines(cls, text: str) -> str:
        return _clean(text, keep_newlines=True)


def _one_of(code: str | None, choices: dict, name: str) -> str | None:
    if code is not None and code not in choices:
        raise ValueError(f"{name} {code!r} is not one of {', '.join(choices)}")
    return code


def _clean(text: str, *, keep_newlines: bool = False) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if (keep_newlines and c == "\n")
                   or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")).strip()


def parse_answer(data: dict) -> AnswerInput:
    """Validate `data`; a CareopsError naming every bad field."""
    try:
        return AnswerInput.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                            for e in exc.errors())
        raise CareopsError(f"invalid answer: {reasons}") from None


@dataclass
class SurveyView:
    member_id: int
    year: int
    customer_name: str
    contact_name: str
    locale: str
    projects: list[str]
    closes_on: date
    closed: bool
    answer: AnswerInput | None
    channel: str | None = None
    revision: int = 0
    updated_at: datetime | None = None
    extra: dict = field(default_factory=dict)
    contact_email: str | None = None  # where the link was mailed: a token must name it


# The page's one query (a page view, read under load by 50 customers at once): plain columns of
# the member, its campaign, its customer and its answer, not ORM objects (a third of the page's
# CPU went to building and tracking them).
_VIEW_QUERY = (
    select(SurveyCampaign.year, SurveyCampaign.built_on, SurveyCampaign.closes_on,
           Customer.id, Customer.name, Customer.contact_name, Customer.locale,
           Customer.contact_email, SurveyAnswer.id, SurveyAnswer.needs, SurveyAnswer.needs_other,
           SurveyAnswer.budget, SurveyAnswer.timing, SurveyAnswer.contact_preference,
           SurveyAnswer.comments, SurveyAnswer.channel, SurveyAnswer.revision,
           SurveyAnswer.updated_at)
    .select_from(CampaignMember)
    .join(SurveyCampaign, SurveyCampaign.id == CampaignMember.campaign_id)
    .join(Customer, Customer.id == CampaignMember.customer_id)
    .outerjoin(SurveyAnswer, SurveyAnswer.member_id == CampaignMember.id)
    .where(CampaignMember.id == bindparam("member_id"))
)


def survey_view(uow: UnitOfWork, member_id: int, today: date,
                projects: bool = True) -> SurveyView:
    """What the customer's page shows; `projects=False` leaves the project list empty (a post
    that is answered by the thank-you page needs only the member, its campaign and answer)."""
    with uow:  # straight to the connection: a column query needs none of the ORM's work
        row = uow.session.connection().execute(_VIEW_QUERY, {"member_id": member_id}).first()
        if row is None:
            raise NotFound(f"no survey member {member_id}")
        (year, built_on, closes_on, customer_id, name, contact_name, locale, contact_email,
         answer_id, needs, needs_other, budget, timing, contact_preference, comments, channel,
         revision, updated_at) = row
        answered = answer_id is not None
        return SurveyView(
            member_id=member_id, year=year, customer_name=name, contact_name=contact_name,
            locale=locale,
            projects=member_projects(uow.session, [customer_id], built_on).get(customer_id, [])
            if projects else [],
            closes_on=closes_on, closed=today > closes_on,
            answer=AnswerInput(
                needs=[c for c in needs.split(",") if c], needs_other=needs_other,
                budget=budget, timing=timing, contact_preference=contact_preference,
                comments=comments) if answered else None,
            channel=str(channel) if answered else None,
            revision=revision if answered else 0,
            updated_at=updated_at if answered else None,
            contact_email=contact_email,
        )


# The page's write (50 customers at once under load): plain statements, no ORM objects.
_CLOSES_ON = (
    select(SurveyCampaign.year, SurveyCampaign.closes_on)
    .join(CampaignMember, CampaignMember.campaign_id == SurveyCampaign.id)
    .where(CampaignMember.id == bindparam("member"))
)
_ANSWERS = SurveyAnswer.__table__
# The values are bound by column name at execution (SET needs = :needs, ...).
_REVISE = (update(_ANSWERS).where(_ANSWERS.c.member_id == bindparam("member"))
           .values(revision=_ANSWERS.c.revision + 1).returning(_ANSWERS.c.revision))


def save_answer(
    uow: UnitOfWork, member_id: int, data: AnswerInput, today: date, now: datetime
) -> int:
    """The customer's answer from the page; returns the revision. SurveyClosed after the close."""
    with uow:
        row = uow.session.connection().execute(_CLOSES_ON, {"member": member_id}).first()
        if row is None:
            raise NotFound(f"no survey member {member_id}")
        year, closes_on = row
        if today > closes_on:
            raise SurveyClosed(f"the {year} survey closed on {closes_on}")
        revision = _store(uow, member_id, data, AnswerChannel.WEB, None, now)
        uow.commit()
    return revision


@dataclass(frozen=True)
class SavedAnswer:
    revision: int
    locale: str  # the customer's, for the thank-you page
    closes_on: date


_LINK_FACTS = (
    select(SurveyCampaign.year, SurveyCampaign.closes_on, Customer.contact_email,
           Customer.locale)
    .select_from(CampaignMember)
    .join(SurveyCampaign, SurveyCampaign.id == CampaignMember.campaign_id)
    .join(Customer, Customer.id == CampaignMember.customer_id)
    .where(CampaignMember.id == bindparam("member"))
)


def save_from_link(uow: UnitOfWork, claim: SurveyClaim, data: AnswerInput, today: date,
                   now: datetime) -> SavedAnswer:
    """The answer posted from the customer's link, checked and written in one transaction (the
    page's post under load: no separate read first). NotFound: no such member; LinkInvalid: the
    link was made for another address than the member's contact; SurveyClosed after the close."""
    with uow:
        row = uow.session.connection().execute(_LINK_FACTS, {"member": claim.member_id}).first()
        if row is None:
            raise NotFound(f"no survey member {claim.member_id}")
        year, closes_on, contact_email, locale = row
        if not for_contact(claim, contact_email):
            raise LinkInvalid("the link names another recipient than the member's contact")
        if today > closes_on:
            raise SurveyClosed(f"the {year} survey closed on {closes_on}")
        revision = _store(uow, claim.member_id, data, AnswerChannel.WEB, None, now)
        uow.commit()
    return SavedAnswer(revision, locale, closes_on)


def enter_answer(
    uow: UnitOfWork, year: int, customer_code: str, data: AnswerInput, channel: AnswerChannel,
    entered_by: str, now: datetime,
) -> int:
    """Staff enter an answer taken by phone or letter; returns the revision."""
    if channel == AnswerChannel.WEB:
        raise CareopsError("staff enter answers taken by phone or letter (channel phone|letter)")
    entered_by = " ".join(_clean(entered_by).split())[:100]
    if not entered_by:
        raise CareopsError("say who entered the answer (--by NAME)")
    with uow:
        campaign = get_campaign(uow.session, year)
        member = uow.session.scalar(
            select(CampaignMember).join(Customer, Customer.id == CampaignMember.customer_id)
            .where(CampaignMember.campaign_id == campaign.id, Customer.code == customer_code)
        )
        if member is None:
            raise NotFound(f"customer {customer_code!r} is not in the {year} campaign")
        revision = _store(uow, member.id, data, channel, entered_by, now)
        uow.commit()
    return revision


def _store(uow: UnitOfWork, member_id: int, data: AnswerInput, channel: AnswerChannel,
           entered_by: str | None, now: datetime) -> int:
    """Write the member's answer: the next revision of its row, or revision 1."""
    uow.lock(f"survey-answer:{member_id}")
    values = {"needs": ",".join(data.needs), "needs_other": data.needs_other,
              "budget": data.budget, "timing": data.timing,
              "contact_preference": data.contact_preference, "comments": data.comments,
              "channel": channel, "entered_by": entered_by, "updated_at": now}
    connection = uow.session.connection()
    revision = connection.execute(_REVISE, {"member": member_id, **values}).scalar()
    if revision is None:
        connection.execute(insert(_ANSWERS), {"member_id": member_id, "revision": 1,
                                              "created_at": now, **values})
        revision = 1
    return revision
