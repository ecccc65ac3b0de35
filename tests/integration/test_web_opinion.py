"""The web app over HTTP (Starlette's TestClient): tokens, CSRF, limits, headers, languages."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from careops.clock import FrozenClock
from careops.rules.cases import Opinion
from careops.secrets import web_secret_key
from careops.services.cases import steps as service
from careops.services.cases.notices import CaseEnv
from careops.settings import get_settings
from careops.web import csrf
from careops.web.app import COMMENT_LIMIT, create_app
from careops.web.i18n import MESSAGES
from tests.integration.case_world import at, build_world, intake


@pytest.fixture
def answered(settings, uow, smtp):
    build_world(uow)
    env, clock = CaseEnv.from_settings(), FrozenClock(at("2026-10-09T10:00"))
    cid = service.open_case(uow, intake(), env, clock()).case_id
    service.send_result(uow, cid, "已修复", "王芳", env, clock())
    client = TestClient(create_app(settings, engine=uow.engine, clock=clock, env=env))
    return client, env, cid, uow


def _form(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_post_needs_the_csrf_cookie_and_token(answered):
    client, env, cid, _uow = answered
    path = f"/opinion/{env.signer.make(cid, 'c1@customer.test')}"
    token = _form(client, path)
    forged = client.post(path, data={"opinion": "satisfied", "csrf_token": "x" * 40})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    cookie = client.cookies.get(csrf.COOKIE)
    client.cookies.clear()
    no_cookie = client.post(path, data={"opinion": "satisfied", "csrf_token": token})
    assert no_cookie.status_code == 403
    client.cookies.set(csrf.COOKIE, cookie, path="/opinion")
    ok = client.post(path, data={"opinion": "satisfied", "csrf_token": token})
    assert ok.status_code == 200 and "谢谢您的评价" in ok.text
    assert ok.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in ok.headers["Content-Security-Policy"]


def test_bad_answers_are_refused_and_nothing_is_stored(answered):
    client, env, cid, _uow = answered
    path = f"/opinion/{env.signer.make(cid, 'c1@customer.test')}"
    token = _form(client, path)
    none = client.post(path, data={"opinion": "", "csrf_token": token})
    assert none.status_code == 400 and "请选择" in none.text
    long = client.post(path, data={"opinion": "satisfied", "csrf_token": token,
                                   "comment": "字" * (COMMENT_LIMIT + 1)})
    assert long.status_code == 400 and f"当前 {COMMENT_LIMIT + 1} 字" in long.text
    # still awaiting: a good answer goes through afterwards
    good = client.post(path, data={"opinion": Opinion.NOT_SATISFIED, "csrf_token": token,
                                   "comment": "<i>no</i>"})
    assert good.status_code == 200 and "<i>no</i>" not in good.text


def test_expired_altered_and_foreign_links(answered):
    client, env, cid, _uow = answered
    old = URLSafeTimedSerializer(web_secret_key(get_settings()), salt="careops:case-opinion")
    signer = old.make_signer("careops:case-opinion")
    signer.get_timestamp = lambda: int(time.time()) - env.opinion_seconds - 60
    expired = signer.sign(old.dump_payload({"id": cid, "to": "c1@customer.test"})).decode()
    assert client.get(f"/opinion/{expired}").status_code == 410
    good = env.signer.make(cid, "c1@customer.test")
    assert client.get(f"/opinion/{good[:-2]}xx").status_code == 404
    assert client.get(f"/opinion/{env.signer.make(999, 'x@y.z')}").status_code == 404
    assert "This link is not valid" in client.get(f"/opinion/{good[:-2]}xx?lang=en").text
    # genuine tokens for this case, but not for its contact: refused like forged ones
    for other in ("attacker@evil.test", ""):
        page = client.get(f"/opinion/{env.signer.make(cid, other)}")
        assert page.status_code == 404 and "已修复" not in page.text
    # the key that shipped in the source opens nothing
    shipped = URLSafeTimedSerializer("careops-dev-secret-change-me", salt="careops:case-opinion")
    forged = shipped.dumps({"id": cid, "to": "c1@customer.test"})
    assert client.get(f"/opinion/{forged}").status_code == 404
    posted = client.post(f"/opinion/{forged}", data={"opinion": "satisfied"})
    assert posted.status_code == 404


def test_every_word_exists_in_both_languages():
    assert set(MESSAGES["zh_CN"]) == set(MESSAGES["en"])
