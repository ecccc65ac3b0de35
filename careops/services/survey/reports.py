"""R2 mails to staff: the gift list (CS head), returned gifts, the weekly digest, the summary.

Each is queued in its unit of work under a key that makes a re-run send nothing twice:
- gift list: once per year and member count (a campaign that gained members sends a new list);
- returned gifts: once per set of returned shipment codes;
- digest: once per ISO week;
- needs summary: once per year (to `survey.management_emails`, with charts and the XLSX).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.db.models.common import Department, Staff, StaffRole
from careops.db.uow import UnitOfWork
from careops.mail.message import InlineImage, inline_cid
from careops.mailer import Attachment, Mailer
from careops.rules.survey import choice_labels
from careops.services.survey.campaign import CampaignResult
from careops.services.survey.gift_shipments import Shipment, gift_list_xlsx, shipments
from careops.services.survey.summary import answers_xlsx, needs_summary, summary_charts
from careops.settings import Settings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    locale: str | None


def cs_head(session: Session, fallback_email: str) -> Recipient:
    head = session.scalars(
        select(Staff).where(Staff.department == Department.CS, Staff.role == StaffRole.HEAD,
                            Staff.active.is_(True)).order_by(Staff.id)
    ).first()
    if head is None:
        return Recipient(fallback_email, "", None)
    return Recipient(head.email, head.name, head.locale)


def queue_gift_list(
    uow: UnitOfWork, built: CampaignResult, mailer: Mailer, settings: Settings, now: datetime
) -> str:
    """Mail the CS head the gift list (XLSX) and the customers listed for CS; returns the
    address it went to."""
    with uow:
        session = uow.session
        head = cs_head(session, settings.cs_head_email)
        items = shipments(session, built.year)
        mailer.queue(
            session,
            key=f"gift-list:{built.year}:{len(items)}",
            template="gift_list",
            to=[head.email],
            locale=head.locale,
            context={"head_name": head.name,
                     "campaign": built.as_dict() | {
                         "campaign_day": date.fromisoformat(built.campaign_day),
                         "closes_on": date.fromisoformat(built.closes_on)},
                     "listed": built.listed_for_cs, "without_email": built.without_email},
            attachments=[Attachment(f"gifts-{built.year}.xlsx",
                                    gift_list_xlsx(items, built.year), XLSX)],
            now=now,
        )
        uow.commit()
    return head.email


def queue_returned(
    uow: UnitOfWork, year: int, returned: list[Shipment], mailer: Mailer, settings: Settings,
    now: datetime,
) -> bool:
    """Tell the CS head which gifts came back (once per set of returned shipments)."""
    if not returned:
        return False
    digest = hashlib.sha1(",".join(sorted(s.shipment_code for s in returned)).encode())
    with uow:
        head = cs_head(uow.session, settings.cs_head_email)
        queued = mailer.queue(
            uow.session, key=f"gifts-returned:{year}:{digest.hexdigest()[:16]}",
            template="gifts_returned", to=[head.email], locale=head.locale,
            context={"head_name": head.name, "year": year, "returned": returned}, now=now,
        )
        uow.commit()
    return queued


def queue_digest(
    uow: UnitOfWork, year: int, today: date, mailer: Mailer, settings: Settings, now: datetime
) -> dict:
    """The CS head's weekly digest: response rate, by channel, gifts returned, not answered."""
    with uow:
        summary = needs_summary(uow.session, year)
        head = cs_head(uow.session, settings.cs_head_email)
        iso = today.isocalendar()
        figures = {"year": year, "members": summary.members, "invited": summary.invited,
                   "answered": summary.answered, "answered_invited": summary.answered_invited,
                   "without_invitation": summary.without_invitation,
                   "rate": summary.rate_text(),
                   "by_channel": summary.by_channel, "returned_gifts": summary.returned_gifts,
                   "not_answered": len(summary.not_answered), "closes_on": summary.closes_on}
        figures["queued"] = mailer.queue(
            uow.session, key=f"survey-digest:{year}:{iso.year}-W{iso.week:02d}",
            template="survey_digest", to=[head.email], locale=head.locale,
            context={"head_name": head.name, "today": today, **figures}, now=now,
        )
        uow.commit()
    return figures


def queue_summary(uow: UnitOfWork, year: int, mailer: Mailer, settings: Settings,
                  now: datetime) -> dict:
    """The needs summary to management: charts inline, every answer as XLSX."""
    locale = settings.default_locale
    with uow:
        summary = needs_summary(uow.session, year)
        pngs = summary_charts(summary, locale, settings.charts.font_file)
        images = {name: InlineImage(inline_cid(mailer.sender, name), png)
                  for name, png in pngs.items()}
        queued = mailer.queue(
            uow.session, key=f"survey-summary:{year}", template="needs_summary",
            to=list(settings.survey.management_emails), locale=locale,
            context={"summary": summary, "charts": {n: i.cid for n, i in images.items()},
                     "choice_labels": {loc: choice_labels(loc) for loc in ("zh_CN", "en")}},
            attachments=[Attachment(f"survey-{year}.xlsx",
                                    answers_xlsx(summary, locale, settings.tz), XLSX)],
            inline_images=list(images.values()), now=now,
        )
        uow.commit()
    return {"year": year, "answered": summary.answered, "invited": summary.invited,
            "answered_invited": summary.answered_invited, "rate": summary.rate_text(),
            "needs": summary.needs, "queued": queued}
