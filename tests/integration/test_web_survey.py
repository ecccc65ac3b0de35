"""The survey page over HTTP (Starlette's TestClient): links, CSRF, edit until close, limits,
escaping, languages, and what a forged or expired link shows."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.common import Customer
from careops.db.models.survey import CampaignMember, SurveyAnswer
from careops.services.survey.campaign import build_campaign
from careops.services.survey.links import survey_links
from careops.web import csrf
from careops.web.app import create_app
from careops.web.survey_words import SURVEY_WORDS
from tests.integration.survey_world import DAY, NOW, survey_world

CLOSE_DAY = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)  # 23:00 on the last day, Shanghai
AFTER = datetime(2027, 1, 5, 16, 1, tzinfo=UTC)  # 00:01 on 6 January


@pytest.fixture
def site(settings, uow):
    survey_world(uow)
    build_campaign(uow, 2026, DAY, settings.survey, NOW)
    with uow:
        members = dict(uow.session.execute(
            select(Customer.code, CampaignMember.id).join(CampaignMember.customer)).all())
    clock = FrozenClock(NOW)
    client = TestClient(create_app(settings, engine=uow.engine, clock=clock))
    links = survey_links()
    return client, clock, links, members, uow


def _path(links, member_id: int, email: str) -> str:
    return "/survey/" + links.token(member_id, email)


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_fill_edit_and_closed(site):
    client, clock, links, members, uow = site
    path = _path(links, members["NEW"], "new@customer.test")
    page = client.get(path)
    assert page.status_code == 200 and "2027年需求调查" in page.text
    assert "客户NEW有限公司" in page.text and "项目P-NEW" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    token = _csrf(page)
    saved = client.post(path, data={"needs": ["website", "app"], "budget": "50k_200k",
                                    "timing": "q2", "contact_preference": "phone",
                                    "comments": "<script>alert(1)</script>", "csrf_token": token})
    assert saved.status_code == 200 and "谢谢您的答复" in saved.text
    again = client.get(path)
    assert 'value="website" checked' in again.text and 'value="q2" checked' in again.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in again.text and "<script>" not in again.text
    clock.now = CLOSE_DAY  # still open on the last day
    edited = client.post(path, data={"needs": ["security"], "csrf_token": _csrf(again),
                                     "comments": "<script>alert(1)</script>"})
    assert edited.status_code == 200
    with uow:
        answer = uow.session.scalar(select(SurveyAnswer))
        assert (answer.needs, answer.revision, str(answer.channel)) == ("security", 2, "web")
    clock.now = AFTER
    closed = client.get(path)
    assert closed.status_code == 200 and "调查已结束" in closed.text
    # the saved answer, read-only: the labels, the escaped comment, no form and no input
    assert "安全防护" in closed.text and "网站建设" not in closed.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in closed.text and "<script>" not in closed.text
    assert "<form" not in closed.text and "<input" not in closed.text
    late = client.post(path, data={"needs": ["app"], "csrf_token": _csrf(again)})
    assert "调查已结束" in late.text and "安全防护" in late.text and "<form" not in late.text
    with uow:
        assert uow.session.scalar(select(SurveyAnswer.needs)) == "security"
    unanswered = client.get(_path(links, members["OLD"], "old@customer.test"))
    assert "调查已结束" in unanswered.text and "您没有通过此链接留下答复" in unanswered.text


def test_a_genuine_link_naming_another_address_is_refused(site):
    """A token {"id": N, "to": addr} whose addr is not member N's contact is not a link to N."""
    client, _clock, links, members, uow = site
    for token in (links.token(members["NEW"], "attacker@evil.test"),
                  links.token(members["NEW"], "old@customer.test"),  # another customer's
                  links.token(members["NOMAIL"], "")):  # a contact without an address
        page = client.get(f"/survey/{token}")
        assert page.status_code == 404 and "链接无效" in page.text, token
        assert "客户NEW" not in page.text and "<form" not in page.text
        posted = client.post(f"/survey/{token}", data={"needs": ["app"]})
        assert posted.status_code == 404
    ok = client.get(f"/survey/{links.token(members['NEW'], ' New@Customer.TEST ')}")
    assert ok.status_code == 200 and "客户NEW" in ok.text  # the address as mailed, any case
    with uow:
        assert uow.session.scalar(select(SurveyAnswer)) is None


def test_a_link_forged_with_the_shipped_key_is_refused(site):
    """The key that shipped in the source opens nothing (the app signs with its own)."""
    client, _clock, _links, members, uow = site
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("careops-dev-secret-change-me", salt="careops:survey").dumps(
        {"id": members["NEW"], "to": "new@customer.test"})
    page = client.get(f"/survey/{forged}")
    assert page.status_code == 404 and "客户NEW" not in page.text
    token = _csrf(client.get(_path(_links, members["NEW"], "new@customer.test")))
    saved = client.post(f"/survey/{forged}", data={"needs": ["app"], "csrf_token": token})
    assert saved.status_code == 404
    with uow:
        assert uow.session.scalar(select(SurveyAnswer)) is None


def test_csrf_limits_and_bad_choices(site):
    client, _clock, links, members, uow = site
    path = _path(links, members["OLD"], "old@customer.test")
    token = _csrf(client.get(path))
    assert client.post(path, data={"needs": ["app"], "csrf_token": "x" * 40}).status_code == 403
    cookie = client.cookies.get(csrf.COOKIE)
    client.cookies.clear()
    assert client.post(path, data={"needs": ["app"], "csrf_token": token}).status_code == 403
    client.cookies.set(csrf.COOKIE, cookie, path="/survey")
    long = client.post(path, data={"comments": "字" * 2001, "csrf_token": token})
    assert long.status_code == 400 and "当前 2001 字" in long.text
    bad = client.post(path, data={"needs": ["spaceships"], "csrf_token": token})
    assert bad.status_code == 400 and "无法识别" in bad.text
    with uow:
        assert uow.session.scalar(select(SurveyAnswer)) is None


def test_forged_altered_expired_and_english(site):
    client, _clock, links, members, _uow = site
    good = links.token(members["EN"], "en@customer.test")
    assert client.get(f"/survey/{good[:-2]}xx").status_code == 404
    assert client.get("/survey/" + "a" * 600).status_code == 404
    assert client.get(f"/survey/{links.token(99999, 'x@y.z')}").status_code == 404
    english = client.get(f"/survey/{good}")
    assert "Our 2027 needs survey" in english.text and "Acme Ltd" in english.text
    assert "2027年" in client.get(f"/survey/{good}?lang=zh_CN").text
    from itsdangerous import URLSafeTimedSerializer

    from careops.secrets import web_secret_key
    from careops.settings import get_settings

    old = URLSafeTimedSerializer(web_secret_key(get_settings()), salt="careops:survey")
    signer = old.make_signer("careops:survey")
    signer.get_timestamp = lambda: int(time.time()) - links.max_age - 60
    expired = signer.sign(old.dump_payload({"id": members["NEW"], "to": "x"})).decode()
    page = client.get(f"/survey/{expired}")
    assert page.status_code == 410 and "链接已过期" in page.text and "客户NEW" not in page.text


def test_every_survey_word_exists_in_both_languages():
    assert set(SURVEY_WORDS["zh_CN"]) == set(SURVEY_WORDS["en"])
