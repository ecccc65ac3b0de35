"""The simulated world: a scratch database, an in-process SMTP sink, the demo data plus a few
monitored sites and a duty roster, settings pointing at both, and the frozen clock."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

import careops.clock
from careops.clock import FrozenClock
from careops.db.models.common import Department, Project, Staff
from careops.db.models.watch import DutyShift, MonitoredSite
from careops.db.uow import UnitOfWork

SITES = 6  # monitored sites added to the demo's projects (the demo has none)
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class SmtpSink:
    """aiosmtpd on loopback counting every message received by its Message-ID."""

    def __init__(self) -> None:
        from careops.stack.processes import free_port

        self.port = free_port("127.0.0.1")
        self.received: Counter[str] = Counter()
        self.recipients = 0
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        with self._lock:
            self.received[found.group(1).decode() if found else "<none>"] += 1
            self.recipients += len(envelope.rcpt_tos)
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@contextmanager
def scratch_settings(database_url: str, smtp_port: int) -> Iterator[None]:
    """careops's settings (and its cached collaborators) pointing at the scratch world."""
    from careops import bootstrap
    from careops.settings import get_settings

    wanted = {
        "CAREOPS_DATABASE_URL": database_url,
        "CAREOPS_SMTP__HOST": "127.0.0.1",
        "CAREOPS_SMTP__PORT": str(smtp_port),
        "CAREOPS_SMTP__SECURITY": "none",
        "CAREOPS_SMTP__USERNAME": "",
        "CAREOPS_SMTP__BACKOFF_SECONDS": "30",
    }
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    get_settings.cache_clear()
    bootstrap.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        bootstrap.reset()


@contextmanager
def frozen(clock: FrozenClock) -> Iterator[None]:
    """careops.clock.utcnow — and every careops module's imported copy — read `clock`."""
    original = careops.clock.utcnow
    patched = [
        m
        for name, m in list(sys.modules.items())
        if (name == "careops" or name.startswith("careops."))
        and getattr(m, "utcnow", None) is original
    ]
    for module in patched:
        module.utcnow = clock  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.utcnow = original  # type: ignore[attr-defined]


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """The given URL, or a temporary SQLite file removed afterwards."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="careops-simulate-") as folder:
        yield f"sqlite:///{Path(folder) / 'simulate.db'}"


def build_world(
    uow: UnitOfWork, *, today: date, seed: int, customers: int, window_days: list[date]
) -> dict:
    """Migrate is the caller's; seed the demo, add sites and the CS duty roster."""
    from careops.demo import seed_demo

    summary = seed_demo(uow, today=today, seed=seed, customers=customers)
    if summary is None:
        from careops.errors import CareopsError

        raise CareopsError("the simulation database is not empty: give an empty one")
    with uow:
        session = uow.session
        projects = session.scalars(
            select(Project)
            .where(Project.website_url.is_not(None))
            .order_by(Project.id)
            .limit(SITES)
        ).all()
        for project in projects:
            session.add(MonitoredSite(url=project.website_url, project_id=project.id, keyword=None))
        cs = session.scalars(
            select(Staff.id)
            .where(Staff.department == Department.CS, Staff.active.is_(True))
            .order_by(Staff.id)
        ).all()
        for n, day in enumerate(sorted(set(window_days))):
            session.add(DutyShift(day=day, staff_id=cs[n % len(cs)]))
        uow.commit()
    return {
        "staff": summary.staff,
        "customers": summary.customers,
        "projects": summary.projects,
        "sites": len(projects),
    }


def local_midnight(day: date, tz) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)
