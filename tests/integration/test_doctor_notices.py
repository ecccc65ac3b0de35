"""The scheduled doctor's mail (services/operations/doctor_notices.py): one ops mail per failing
check and local day, read back from the SMTP sink; the check results are passed in as plain rows
(fakes of what `careops doctor` found), except the calendar, which is the real check."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from careops.bootstrap import get_mailer
from careops.db.uow import UnitOfWork
from careops.doctor import Check, Status, check_calendar
from careops.mail.delivery import deliver_pending
from careops.services.operations.doctor_notices import notice_key, notify_problems

# 07:30 in Asia/Shanghai on 1 Nov 2026
MORNING = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
SMTP_DOWN = Check("smtp", Status.FAIL, "smtp.example.cn:587 unreachable")
NO_WORKER = Check("worker", Status.FAIL, "0 online on pool 'careops'")
CHECKS = [
    Check("database", Status.OK, "schema 0009"),
    SMTP_DOWN,
    NO_WORKER,
    Check("outbox", Status.WARN, "oldest waiting 20 min"),
]


def _run(uow, settings, smtp, checks, now):
    """One doctor run's notices, delivered to the sink: (result, mails received)."""
    before = len(smtp.messages)
    result = notify_problems(
        uow, get_mailer(), checks, ops_email=settings.ops_email, now=now, tz=settings.tz
    )
    deliver_pending(uow.engine, settings.smtp)
    return result, smtp.messages[before:]


def test_two_problems_two_mails_once_a_local_day(uow, settings, smtp):
    result, mails = _run(uow, settings, smtp, CHECKS, MORNING)
    assert result.mailed == ["smtp", "worker"] and result.day == "2026-11-01"
    assert sorted(m.subject for m in mails) == [
        "【careops 体检】2026年11月1日 检查未通过：SMTP 服务器",
        "【careops 体检】2026年11月1日 检查未通过：工作进程",
    ]
    assert all(m.envelope_to == [settings.ops_email] for m in mails)
    worker = next(m for m in mails if "工作进程" in m.subject)
    assert "0 online on pool 'careops'" in worker.text() and "SMTP 服务器" in worker.text()
    # a re-run (or a retry) the same local day, till 23:59 Asia/Shanghai: nothing new
    again, mails = _run(uow, settings, smtp, CHECKS, datetime(2026, 11, 1, 15, 59, tzinfo=UTC))
    assert again.mailed == [] and again.told_already == ["smtp", "worker"] and mails == []
    # the next local day (still 1 Nov in UTC): the worker still missing mails again
    tomorrow, mails = _run(
        uow, settings, smtp, [NO_WORKER], datetime(2026, 11, 1, 16, 1, tzinfo=UTC)
    )
    assert tomorrow.mailed == ["worker"] and [m.subject for m in mails] == [
        "【careops 体检】2026年11月2日 检查未通过：工作进程"
    ]


def test_healthy_checks_mail_nobody(uow, settings, smtp):
    result, mails = _run(
        uow, settings, smtp, [c for c in CHECKS if c.status != Status.FAIL], MORNING
    )
    assert result.healthy and result.problems == [] and mails == []


def test_two_runs_at_once_mail_each_problem_once(uow, settings, smtp):
    barrier, results = threading.Barrier(2), []

    def run() -> None:
        barrier.wait(timeout=30)
        results.append(
            notify_problems(
                UnitOfWork(uow.engine),
                get_mailer(),
                CHECKS,
                ops_email=settings.ops_email,
                now=MORNING,
                tz=settings.tz,
            )
        )

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    deliver_pending(uow.engine, settings.smtp)
    assert sorted(n for r in results for n in r.mailed) == ["smtp", "worker"]
    assert len(smtp.messages) == 2


@pytest.mark.parametrize(
    ("now", "days_ahead", "mailed"),
    [
        # a horizon that does not reach 2027: the 1 November rule alone decides
        (datetime(2026, 10, 30, 23, 30, tzinfo=UTC), 30, False),  # 31 Oct 07:30 local
        (datetime(2026, 10, 31, 15, 59, tzinfo=UTC), 30, False),  # 31 Oct 23:59 local
        (datetime(2026, 10, 31, 16, 0, tzinfo=UTC), 30, True),  # 1 Nov 00:00 local
        # the doctor's 90 days reach 2027 from 3 October: mailed on 31 October already
        (datetime(2026, 10, 30, 23, 30, tzinfo=UTC), 90, True),
    ],
)
def test_next_years_calendar_from_1_november(
    uow, settings, smtp, calendar_dir, now, days_ahead, mailed
):
    today = now.astimezone(settings.tz).date()
    check = check_calendar(today, days_ahead=days_ahead)
    result, mails = _run(uow, settings, smtp, [check], now)
    assert (result.mailed == ["calendar"]) is mailed, check
    assert len(mails) == int(mailed)
    if mailed:
        assert "config/calendar/2027.toml" in mails[0].text()
        why = "due from 1 November" if days_ahead == 30 else "dates up to 2027-01-29 need it"
        assert why in " ".join(mails[0].text().split())


def test_the_calendar_mail_stops_once_the_file_is_added(uow, settings, smtp, calendar_dir):
    first = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 3 Nov local
    result, _ = _run(uow, settings, smtp, [check_calendar(first.date())], first)
    assert result.mailed == ["calendar"]
    (calendar_dir / "2027.toml").write_text("days_off = [2027-01-01]\n")
    day_after = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)
    result, mails = _run(uow, settings, smtp, [check_calendar(day_after.date())], day_after)
    assert result.healthy and mails == []


def test_keys_name_the_check_and_the_local_day():
    from datetime import date

    assert notice_key("prefect api", date(2026, 11, 1)) == "doctor:prefect-api:2026-11-01"
