"""build_raw (the mass-mail message builder) reads back like build_message's messages."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from careops.mail.message import HeaderError, build_message, build_raw
from careops.mail.render import RenderedMail

SENDER = "careops 客服部 <careops@example.com>"
MAIL = RenderedMail(
    subject="【客服部】上海第一百二十三号信息科技有限公司：新年快乐！诚邀您填写2027年需求调查问卷",
    text="尊敬的李雷：\n\n您好！链接 http://127.0.0.1:8400/survey/abc\n" * 20,
    html="<p>尊敬的李雷：</p>" * 200,
)
RECIPIENTS = ["李雷 <li@example.cn>", '"Han, Meimei" <han@example.cn>', "plain@example.cn"]


def _parse(raw: str):
    return email.message_from_string(raw, policy=email.policy.default)


def test_build_raw_reads_back_like_build_message():
    when = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    raw = build_raw(sender=SENDER, recipients=RECIPIENTS, rendered=MAIL, date=when)
    old = _parse(build_message(sender=SENDER, recipients=RECIPIENTS, rendered=MAIL,
                               date=when).as_string())
    new = _parse(raw.raw)
    for header in ("Subject", "From", "To", "Date"):
        assert str(new[header]) == str(old[header]), header
    assert new["Message-ID"] == raw.message_id
    assert new.get_body(("plain",)).get_content() == MAIL.text
    assert new.get_body(("html",)).get_content() == MAIL.html
    assert raw.recipients == ["li@example.cn", "han@example.cn", "plain@example.cn"]
    assert raw.raw.isascii()
    lines = raw.raw.split("\r\n")
    assert "\n" not in "".join(lines) and max(len(line) for line in lines) <= 78


def test_build_raw_refuses_header_injection_and_non_addresses():
    for bad in (["a@example.cn\r\nBcc: x@evil.cn"], ["not an address"], []):
        with pytest.raises(HeaderError):
            build_raw(sender=SENDER, recipients=bad, rendered=MAIL)
    evil = RenderedMail("hi\nBcc: x@evil.cn", "t", "<p>h</p>")
    with pytest.raises(HeaderError):
        build_raw(sender=SENDER, recipients=["a@example.cn"], rendered=evil)
