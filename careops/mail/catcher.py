"""The embedded SMTP catcher of the local stack: accepts every mail and files it on disk.

Each mail becomes `<mail_dir>/<UTC timestamp>-<n>.eml` (the bytes received), plus
`<same name>.html` holding its HTML part (open it in a browser), and one tab-separated line in
`<mail_dir>/index.txt`: received time, envelope sender, recipients, subject, file name.

    python -m careops.mail.catcher [--host 127.0.0.1] [--port 8025] [--mail-dir var/mail]
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import itertools
import signal
import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from careops.clock import utcnow
from careops.errors import CareopsError


class MailDirHandler:
    """aiosmtpd handler writing each message to `mail_dir`."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = Path(mail_dir)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.store(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        return "250 Message accepted"

    def store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        received = utcnow()
        with self._lock:
            name = f"{received:%Y%m%dT%H%M%S%fZ}-{next(self._counter)}"
            eml = self.mail_dir / f"{name}.eml"
            eml.write_bytes(content)
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            html = message.get_body(preferencelist=("html",))
            if html is not None:
                (self.mail_dir / f"{name}.html").write_text(_with_inline_images(message, html),
                                                            encoding="utf-8")
            subject = " ".join(str(message.get("Subject", "")).split())
            line = "\t".join(
                [received.isoformat(timespec="seconds"), mail_from, ",".join(rcpt_tos), subject,
                 eml.name]
            )
            with (self.mail_dir / "index.txt").open("a", encoding="utf-8") as index:
                index.write(line + "\n")
        return eml


def _with_inline_images(message: EmailMessage, html: EmailMessage) -> str:
    """The HTML with its `cid:` images (charts) as data: URIs, so a browser shows them."""
    text = html.get_content()
    for part in message.walk():
        cid = str(part.get("Content-ID") or "").strip().strip("<>")
        if cid and part.get_content_maintype() == "image" and f"cid:{cid}" in text:
            data = base64.b64encode(part.get_content()).decode("ascii")
            text = text.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return text


def run_catcher(host: str, port: int, mail_dir: Path) -> Controller:
    """Start the catcher in a background thread; the caller calls `.stop()`."""
    controller = Controller(
        MailDirHandler(mail_dir), hostname=host, port=port, enable_SMTPUTF8=True
    )
    try:
        controller.start()
    except Exception as exc:  # aiosmtpd reports bind failures in several ways
        controller.stop(no_assert=True)
        raise CareopsError(f"SMTP catcher cannot listen on {host}:{port}: {exc}") from exc
    return controller


def main(argv: list[str] | None = None) -> None:
    from careops.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.catcher.host)
    parser.add_argument("--port", type=int, default=settings.catcher.port)
    parser.add_argument("--mail-dir", type=Path, default=settings.path(settings.catcher.mail_dir))
    args = parser.parse_args(argv)
    controller = run_catcher(args.host, args.port, args.mail_dir)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when the stack terminates us
    print(
        f"SMTP catcher on {args.host}:{args.port}, writing to {args.mail_dir} (Ctrl-C stops)",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
