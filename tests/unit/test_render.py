"""Mail rendering (jinja2 + css-inline) and message building, without a network."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from careops.errors import CareopsError, TemplateError
from careops.mail.message import build_message
from careops.mail.render import MailRenderer, RenderedMail
from careops.settings import PROJECT_ROOT

OPS_CONTEXT = {
    "flow_name": "plan-callbacks",
    "flow_run_name": "brave-otter",
    "state": "Failed",
    "message": "数据库不可达",
    "run_url": "http://127.0.0.1:4200/runs/flow-run/1",
}


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer(PROJECT_ROOT / "templates")


def _mail(root: Path, name: str, body: str) -> None:
    folder = root / "mail"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.html").write_text(body, encoding="utf-8")


@pytest.fixture
def custom(tmp_path: Path) -> MailRenderer:
    """A templates dir with a `greeting` mail using the filters and a customer name."""
    _mail(
        tmp_path,
        "_base",
        "<html><head><title>{% block subject %}{% endblock %}</title>"
        "<style>.name { color: #ff0000; }</style></head>"
        "<body>{% block content %}{% endblock %}</body></html>",
    )
    _mail(
        tmp_path,
        "greeting",
        '{% extends "mail/_base.html" %}'
        "{% block subject %}{{ customer }} {{ due | date }}{% endblock %}"
        '{% block content %}<p class="name">{{ customer }}</p>'
        "<p>{{ due | date }} {{ due | weekday }} {{ at | datetime }} {{ month | month }}"
        " {{ n | number }}</p>{% endblock %}",
    )
    return MailRenderer(tmp_path)


CONTEXT = {
    "customer": "<script>alert(1)</script>华东公司",
    "due": date(2026, 12, 1),
    "at": datetime(2026, 12, 1, 6, 30, tzinfo=UTC),  # 14:30 in Shanghai
    "month": "2026-12",
    "n": 12345.5,
}


def test_zh_filters_escape_and_inline(custom: MailRenderer) -> None:
    mail = custom.render("greeting", "zh_CN", CONTEXT)
    assert mail.subject == "<script>alert(1)</script>华东公司 2026年12月1日"
    assert mail.text == (
        "<script>alert(1)</script>华东公司\n\n"
        "2026年12月1日 星期二 2026年12月1日 14:30 2026年12月 12,345.5\n"
    )
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;华东公司" in mail.html
    assert "<style>" not in mail.html
    assert 'style="color: #ff0000;"' in mail.html


def test_en_filters(custom: MailRenderer) -> None:
    mail = custom.render("greeting", "en", CONTEXT)
    assert mail.text.endswith("1 Dec 2026 Tuesday 1 Dec 2026 14:30 Dec 2026 12,345.5\n")


def test_unknown_locale_falls_back_to_zh_cn(custom: MailRenderer) -> None:
    assert custom.render("greeting", "fr", CONTEXT).subject.endswith("2026年12月1日")
    assert custom.render("greeting", "en-GB", CONTEXT).subject.endswith("1 Dec 2026")
    assert custom.render("greeting", "zh", CONTEXT).subject.endswith("2026年12月1日")


def test_missing_variable_names_template_and_variable(custom: MailRenderer) -> None:
    context = {k: v for k, v in CONTEXT.items() if k != "month"}
    with pytest.raises(TemplateError) as caught:
        custom.render("greeting", "zh_CN", context)
    assert str(caught.value) == (
        "template mail/greeting.html needs variable 'month' which the caller did not provide"
    )


def test_missing_variable_in_base_template_names_the_base(tmp_path: Path) -> None:
    _mail(tmp_path, "_base", "{{ footer_note }}{% block subject %}{% endblock %}")
    _mail(tmp_path, "x", '{% extends "mail/_base.html" %}{% block subject %}s{% endblock %}')
    with pytest.raises(TemplateError, match=r"mail/_base.html needs variable 'footer_note'"):
        MailRenderer(tmp_path).render("x", "zh_CN", {})


def test_a_mail_without_a_subject_block_is_named(tmp_path: Path) -> None:
    _mail(tmp_path, "x", "<p>no subject</p>")
    with pytest.raises(TemplateError, match=r"mail/x.html has no \{% block subject %\}"):
        MailRenderer(tmp_path).render("x", "zh_CN", {})


def test_trans_blocks_translate_and_escape_their_variables(tmp_path: Path) -> None:
    _mail(tmp_path, "t", "<title>{% block subject %}{{ _('Fault notice') }}{% endblock %}</title>"
          "<p>{% trans name=name %}Hello {{ name }}, the month is closed.{% endtrans %}</p>")
    renderer = MailRenderer(tmp_path)
    zh = renderer.render("t", "zh_CN", {"name": "<i>王</i>\nBcc: x@example.com"})
    assert zh.subject == "故障通报"
    assert "&lt;i&gt;王&lt;/i&gt; Bcc: x@example.com，您好：本月客户回访已结束" in zh.html
    en = renderer.render("t", "en", {"name": "Li"})
    assert (en.subject, en.text) == ("Fault notice", "Hello Li, the month is closed.\n")


def test_text_part_keeps_tables_and_links_readable(renderer: MailRenderer) -> None:
    from tests.support.mail_fixtures import CASES

    template, context = CASES["call_list"]
    text = renderer.render(template, "en", context).text
    header = next(line for line in text.splitlines() if line.startswith("No."))
    assert header.split() == ["No.", "Due", "Customer", "Contact", "Phone", "Project", "Last",
                              "outcome"]
    row = next(line for line in text.splitlines() if line.startswith("101"))
    assert row.split()[:5] == ["101", "1", "Dec", "2026", "华东客户1有限公司"]
    ops = renderer.render("ops_failure", "en", OPS_CONTEXT).text
    assert "[Open the run](http://127.0.0.1:4200/runs/flow-run/1)" in ops


def test_missing_template_is_named(renderer: MailRenderer) -> None:
    with pytest.raises(TemplateError, match=r"mail/no_such_mail.html not found"):
        renderer.render("no_such_mail", "zh_CN", {})


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_ops_failure_template(renderer: MailRenderer, locale: str) -> None:
    mail = renderer.render("ops_failure", locale, {**OPS_CONTEXT, "flow_run_name": "<b>x</b>"})
    assert "plan-callbacks" in mail.subject and "\n" not in mail.subject
    assert "数据库不可达" in mail.text and OPS_CONTEXT["run_url"] in mail.text
    assert "&lt;b&gt;x&lt;/b&gt;" in mail.html and "<b>x</b>" in mail.text
    assert "careops 客服部" in mail.html
    assert 'href="http://127.0.0.1:4200/runs/flow-run/1"' in mail.html
    assert "<style>" not in mail.html and 'style="' in mail.html


def test_message_encodes_chinese_headers_and_has_both_parts() -> None:
    rendered = RenderedMail("【告警】回访计划", "你好\n", "<p>你好</p>")
    msg = build_message(
        sender="客服部 <careops@example.com>",
        recipients=["张三 <zhang@example.com>", "li@example.com"],
        rendered=rendered,
        headers={"X-Careops-Category": "test"},
    )
    raw = msg.as_string()
    assert raw.isascii() and "\r\n" in raw
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert parsed["Subject"] == "【告警】回访计划"
    assert parsed["From"].addresses[0].display_name == "客服部"
    assert [a.addr_spec for a in parsed["To"].addresses] == [
        "zhang@example.com",
        "li@example.com",
    ]
    assert parsed["Message-ID"].endswith("@example.com>")
    assert parsed["Date"] is not None and parsed["X-Careops-Category"] == "test"
    # bodies travel in canonical form (CRLF line ends)
    assert parsed.get_body(("plain",)).get_content().splitlines() == ["你好"]
    assert parsed.get_body(("html",)).get_content().splitlines() == ["<p>你好</p>"]


@pytest.mark.parametrize(
    "field",
    ["sender", "recipient", "subject", "header"],
)
def test_message_rejects_line_breaks(field: str) -> None:
    kwargs = {
        "sender": "careops@example.com",
        "recipients": ["a@example.com"],
        "rendered": RenderedMail("hello", "t", "<p>h</p>"),
        "headers": {"X-Test": "ok"},
    }
    injected = "x\r\nBcc: victim@example.com"
    if field == "sender":
        kwargs["sender"] = injected
    elif field == "recipient":
        kwargs["recipients"] = ["a@example.com", injected]
    elif field == "subject":
        kwargs["rendered"] = RenderedMail(injected, "t", "<p>h</p>")
    else:
        kwargs["headers"] = {"X-Test": injected}
    with pytest.raises(CareopsError, match="line break"):
        build_message(**kwargs)


@pytest.mark.parametrize(
    ("locale", "moment", "shown"),
    [
        ("zh_CN", datetime(2026, 10, 9, 16, 0, tzinfo=UTC), "2026年10月9日 24:00"),
        ("en", datetime(2026, 10, 9, 16, 0, tzinfo=UTC), "9 Oct 2026 24:00"),
        ("zh_CN", datetime(2026, 10, 9, 9, 30, tzinfo=UTC), "2026年10月9日 17:30"),
    ],
)
def test_deadline_at_midnight_reads_as_24_00_of_the_day_before(locale, moment, shown, tmp_path):
    _mail(tmp_path, "t", "<title>{% block subject %}x{% endblock %}</title><p>{{ d|deadline }}</p>")
    assert MailRenderer(tmp_path).render("t", locale, {"d": moment}).text.strip() == shown
