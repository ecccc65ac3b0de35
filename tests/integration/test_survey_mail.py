"""R2 mail read back from SMTP: invitations (zh_CN / en, personal links), at most two
reminders, answers, the CS head's digest, the needs summary with inline charts and XLSX."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from careops.bootstrap import get_mailer
from careops.db.models.survey import CampaignMember
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.services.survey import reports
from careops.services.survey.answers import (
    SurveyClosed,
    enter_answer,
    parse_answer,
    save_answer,
    survey_view,
)
from careops.services.survey.campaign import build_campaign
from careops.services.survey.invitations import invite, remind
from careops.services.survey.links import SurveyLinks
from careops.services.survey.summary import answers_xlsx, needs_summary
from tests.integration.survey_world import DAY, NOW, survey_world

DAYS = ["12-15", "12-22"]


@pytest.fixture
def ready(settings, engine):
    uow = UnitOfWork(engine)
    survey_world(uow)
    build_campaign(uow, 2026, DAY, settings.survey, NOW)
    return uow


@pytest.fixture
def links():
    return SurveyLinks("test-key-of-the-survey-mail-tests-5b1c", "http://127.0.0.1:8400", 90)


def _deliver(settings, engine):
    report = deliver_pending(engine, settings.smtp)
    assert not report.errors, report.errors


def _member_ids(uow) -> dict[str, int]:
    from careops.db.models.common import Customer

    with uow:
        return dict(uow.session.execute(
            select(Customer.code, CampaignMember.id).join(CampaignMember.customer)).all())


def test_every_contact_with_an_address_gets_a_personal_invitation_once(
        ready, settings, engine, smtp, links):
    result = invite(ready, 2026, get_mailer(), links, DAY, NOW)
    assert result.queued == 5  # NOMAIL has no address
    assert invite(ready, 2026, get_mailer(), links, DAY, NOW).queued == 0
    _deliver(settings, engine)
    by_to = {m.envelope_to[0]: m for m in smtp.messages}
    assert set(by_to) == {"new@customer.test", "old@customer.test", "mixed@customer.test",
                          "nocall@customer.test", "en@customer.test"}
    zh = by_to["new@customer.test"]
    assert "2027年需求调查" in zh.subject and "新年快乐" in zh.html()
    assert "项目P-NEW" in zh.text() and "2027年1月5日" in zh.text()
    en = by_to["en@customer.test"]
    assert en.subject.startswith("Happy New Year, Acme Ltd")
    assert "5 Jan 2027" in en.text()
    token = re.search(r"/survey/([\w.\-]+)", zh.text()).group(1)
    assert links.read(token).member_id == _member_ids(ready)["NEW"]
    assert links.read(token).recipient == "new@customer.test"


def test_an_unusable_address_never_blocks_the_other_invitations(ready, settings, engine, smtp,
                                                                 links):
    from sqlalchemy import update

    from careops.db.models.common import Customer
    from careops.db.models.outbox import OutboxMessage

    with ready:
        ready.session.execute(update(Customer).where(Customer.code == "NEW")
                              .values(contact_email="new,evil@customer.test"))
        ready.commit()
    assert invite(ready, 2026, get_mailer(), links, DAY, NOW).queued == 5
    _deliver(settings, engine)
    assert len(smtp.messages) == 4
    with ready:
        failed = ready.session.execute(select(OutboxMessage.key, OutboxMessage.last_error)
                                       .where(OutboxMessage.status == "failed")).all()
    assert [k for k, _e in failed] == ["survey-invitation:2026:NEW"]
    assert "no usable recipient" in failed[0][1]


def test_at_most_two_reminders_to_those_who_have_not_answered(ready, settings, engine, smtp,
                                                              links):
    invite(ready, 2026, get_mailer(), links, DAY, NOW)
    ids = _member_ids(ready)
    save_answer(ready, ids["OLD"], parse_answer({"needs": ["website"]}), DAY, NOW)
    enter_answer(ready, 2026, "MIXED", parse_answer({"needs": ["app"]}),
                 "phone", "李雷", NOW)
    _deliver(settings, engine)
    smtp.clear()
    assert remind(ready, 2026, get_mailer(), links, date(2026, 12, 14), DAYS, NOW).queued == 0
    first = remind(ready, 2026, get_mailer(), links, date(2026, 12, 15), DAYS, NOW)
    assert (first.round, first.queued) == (1, 3)  # NEW, NOCALL, EN
    assert remind(ready, 2026, get_mailer(), links, date(2026, 12, 16), DAYS, NOW).queued == 0
    second = remind(ready, 2026, get_mailer(), links, date(2026, 12, 23), DAYS, NOW)
    assert (second.round, second.queued) == (2, 3)
    assert remind(ready, 2026, get_mailer(), links, date(2026, 12, 30), DAYS, NOW).queued == 0
    closed = remind(ready, 2026, get_mailer(), links, date(2027, 1, 6), DAYS, NOW)
    assert closed.queued == 0 and "closed" in closed.skipped
    _deliver(settings, engine)
    assert sorted(m.envelope_to[0] for m in smtp.messages) == sorted(
        ["new@customer.test", "nocall@customer.test", "en@customer.test"] * 2)
    assert all("提醒" in m.subject or "Reminder" in m.subject for m in smtp.messages)


def test_answers_edit_until_the_close_then_closed(ready, settings):
    member = _member_ids(ready)["NEW"]
    first = parse_answer({"needs": ["app", "website"], "budget": "50k_200k", "timing": "q2",
                          "comments": "<script>alert(1)</script>"})
    assert save_answer(ready, member, first, DAY, NOW) == 1
    second = parse_answer({"needs": ["security"], "budget": "gt500k", "timing": "q1"})
    assert save_answer(ready, member, second, date(2027, 1, 5), NOW) == 2  # the last day
    view = survey_view(ready, member, date(2027, 1, 5))
    assert view.answer.needs == ["security"] and view.revision == 2 and not view.closed
    with pytest.raises(SurveyClosed):
        save_answer(ready, member, first, date(2027, 1, 6), NOW)
    assert survey_view(ready, member, date(2027, 1, 6)).closed


def test_bad_answers_are_refused_with_the_reason():
    from careops.errors import CareopsError

    with pytest.raises(CareopsError, match="unknown need"):
        parse_answer({"needs": ["spaceships"]})
    with pytest.raises(CareopsError, match="budget"):
        parse_answer({"budget": "lots"})
    with pytest.raises(CareopsError, match="comments"):
        parse_answer({"comments": "x" * 2001})
    assert parse_answer({"needs_other": "a\nBcc: x@y\x00"}).needs_other == "a Bcc: x@y"


def test_digest_and_summary_numbers_charts_and_xlsx(ready, settings, engine, smtp, links):
    invite(ready, 2026, get_mailer(), links, DAY, NOW)
    ids = _member_ids(ready)
    save_answer(ready, ids["NEW"], parse_answer(
        {"needs": ["website", "app"], "budget": "50k_200k", "timing": "q2",
         "comments": "=cmd|' /C calc'!A0"}), DAY, NOW)
    save_answer(ready, ids["OLD"], parse_answer(
        {"needs": ["website"], "budget": "gt500k", "timing": "q1"}), DAY, NOW)
    enter_answer(ready, 2026, "NOMAIL", parse_answer({"needs": ["website"], "timing": "q2"}),
                 "letter", "韩梅梅", NOW)
    with ready:
        summary = needs_summary(ready.session, 2026)
    # 5 invited, 2 of them answered; NOMAIL (never mailed) answered by letter: 3 answers
    assert (summary.invited, summary.answered_invited, summary.answered) == (5, 2, 3)
    assert (summary.without_invitation, summary.rate_text()) == (1, "40%")
    assert summary.by_channel == {"web": 2, "letter": 1}
    assert summary.needs == {"website": 3, "app": 1}
    assert summary.budget_by_need["website"] == {"50k_200k": 1, "gt500k": 1, "undecided": 1}
    assert summary.timing_by_need["website"] == {"q1": 1, "q2": 2}
    assert sorted(summary.not_answered) == ["EN", "MIXED", "NOCALL"]

    sheet = openpyxl.load_workbook(io.BytesIO(
        answers_xlsx(summary, "zh_CN", settings.tz))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[1][5] == "网站建设/改版、移动应用"
    comment = sheet.cell(row=2, column=11)
    assert comment.data_type == "s" and comment.value.startswith("=cmd")

    figures = reports.queue_digest(ready, 2026, date(2026, 12, 7), get_mailer(), settings, NOW)
    assert figures["queued"] and figures["rate"] == "40%"
    assert not reports.queue_digest(ready, 2026, date(2026, 12, 9), get_mailer(), settings,
                                    NOW)["queued"]  # once per week
    sent = reports.queue_summary(ready, 2026, get_mailer(), settings, NOW)
    assert sent["queued"]
    assert not reports.queue_summary(ready, 2026, get_mailer(), settings, NOW)["queued"]
    smtp.clear()
    _deliver(settings, engine)
    digest = next(m for m in smtp.messages if "需求调查" in m.subject and "回复率" in m.subject)
    assert digest.envelope_to == ["csh@careops.test"] and "40%（2/5）" in digest.subject
    mail = next(m for m in smtp.messages if m.subject.startswith("【需求汇总】"))
    assert mail.envelope_to == settings.survey.management_emails
    html = mail.html()
    images = [p for p in mail.message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert f"cid:{image['Content-ID'].strip('<>')}" in html
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    attachment = next(p for p in mail.message.iter_attachments()
                      if p.get_filename() == "survey-2026.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(attachment.get_content())).active.max_row == 4
    assert "网站建设/改版" in html and "&lt;" not in html.split("<body")[0]


def test_text_from_customers_is_escaped_in_the_summary_mail(ready, settings, engine, smtp):
    ids = _member_ids(ready)
    save_answer(ready, ids["NEW"], parse_answer(
        {"needs": ["other"], "needs_other": "<img src=x onerror=alert(1)>",
         "comments": "<script>alert('x')</script>"}), DAY, NOW)
    reports.queue_summary(ready, 2026, get_mailer(), settings, NOW)
    _deliver(settings, engine)
    html = next(m for m in smtp.messages if m.subject.startswith("【需求汇总】")).html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_the_digest_counts_answers_over_the_invited(ready, settings, engine, smtp, links):
    """Answers taken by phone before any invitation went out are answers, not responses: the
    digest said "回复率 100%（2/0）"; the rate is over the invited, "无"/"n/a" without any."""
    ids = _member_ids(ready)
    for code in ("NEW", "NOMAIL"):
        enter_answer(ready, 2026, code, parse_answer({"needs": ["website"]}), "phone", "李雷",
                     NOW)
    figures = reports.queue_digest(ready, 2026, date(2026, 12, 7), get_mailer(), settings, NOW)
    assert (figures["invited"], figures["answered_invited"], figures["answered"],
            figures["without_invitation"], figures["rate"]) == (0, 0, 2, 2, "n/a")
    _deliver(settings, engine)
    first = next(m for m in smtp.messages if "回复率" in m.subject)
    assert "回复率 无（0/0）" in first.subject and "100%" not in first.subject, first.subject
    assert "未邀请而答复（电话、信函）" in first.html()

    smtp.clear()
    invite(ready, 2026, get_mailer(), links, DAY, NOW)  # the 5 with an address; NEW answered
    save_answer(ready, ids["OLD"], parse_answer({"needs": ["app"]}), DAY, NOW)
    figures = reports.queue_digest(ready, 2026, date(2026, 12, 14), get_mailer(), settings, NOW)
    assert (figures["invited"], figures["answered_invited"], figures["answered"],
            figures["without_invitation"], figures["rate"]) == (5, 2, 3, 1, "40%")
    assert figures["answered_invited"] <= figures["invited"]
    _deliver(settings, engine)
    second = next(m for m in smtp.messages if "回复率" in m.subject)
    assert "回复率 40%（2/5）" in second.subject, second.subject
