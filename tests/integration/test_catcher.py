"""The embedded SMTP catcher files every mail it receives."""

from __future__ import annotations

import email
import email.policy
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from careops.errors import CareopsError
from careops.mail.catcher import run_catcher
from careops.mail.message import build_message
from careops.mail.render import MailRenderer
from careops.settings import PROJECT_ROOT
from tests.support.smtp import free_port


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, mail_dir = free_port(), tmp_path / "mail"
    controller = run_catcher("127.0.0.1", port, mail_dir)
    yield port, mail_dir
    controller.stop()


def _ops_mail(run_name: str):
    rendered = MailRenderer(PROJECT_ROOT / "templates").render(
        "ops_failure",
        "zh_CN",
        {
            "flow_name": "plan-callbacks",
            "flow_run_name": run_name,
            "state": "Failed",
            "message": "数据库不可达",
            "run_url": "http://127.0.0.1:4200/runs/flow-run/1",
        },
    )
    return build_message(
        sender="客服部 <careops@example.com>", recipients=["运维 <ops@example.com>"],
        rendered=rendered,
    )


def test_mail_is_filed_as_eml_html_and_index_line(catcher) -> None:
    port, mail_dir = catcher
    with smtplib.SMTP("127.0.0.1", port) as client:
        for run_name in ("first-run", "second-run"):
            client.send_message(_ops_mail(run_name))
    emls = sorted(mail_dir.glob("*.eml"))
    assert [p.name.endswith(f"-{n}.eml") for n, p in enumerate(emls, 1)] == [True, True]
    parsed = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "【careops 告警】流程 plan-callbacks 运行 first-run 状态：Failed"
    assert "数据库不可达" in parsed.get_body(("plain",)).get_content()
    html = emls[0].with_suffix(".html").read_text(encoding="utf-8")
    assert "first-run" in html and "careops 客服部" in html and '<meta charset="utf-8">' in html
    lines = (mail_dir / "index.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    received, sender, to, subject, name = lines[1].split("\t")
    assert (sender, to, name) == ("careops@example.com", "ops@example.com", emls[1].name)
    assert subject.endswith("second-run 状态：Failed") and received.endswith("+00:00")


def test_plain_text_mail_has_no_html_copy(catcher) -> None:
    port, mail_dir = catcher
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nplain body\r\n")
    [eml] = mail_dir.glob("*.eml")
    assert b"plain body" in eml.read_bytes()
    assert list(mail_dir.glob("*.html")) == []


def test_busy_port_is_named(catcher) -> None:
    port, mail_dir = catcher
    with pytest.raises(CareopsError, match=f"127.0.0.1:{port}"):
        run_catcher("127.0.0.1", port, mail_dir)


def test_runs_standalone_until_terminated(tmp_path: Path) -> None:
    port, mail_dir = free_port(), tmp_path / "standalone"
    process = subprocess.Popen(
        [sys.executable, "-m", "careops.mail.catcher", "--port", str(port),
         "--mail-dir", str(mail_dir)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert "SMTP catcher on 127.0.0.1:" in process.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nbody\r\n")
    finally:
        process.terminate()
        assert process.wait(timeout=120) == 0
    assert len(list(mail_dir.glob("*.eml"))) == 1
