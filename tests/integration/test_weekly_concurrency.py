"""Two processes at once run the same weekly step: each reminder, nudge and report goes once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from careops.db.models.outbox import OutboxMessage
from careops.db.models.weekly import WeeklyMeeting, WeeklyRevision, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from tests.integration.weekly_world import CS_HEAD, MOVED_MEETING, build_world, email
from tests.support.concurrency import run_each, run_together


def step_in_this_process(step: str, week: str, now: str) -> list[str]:
    from careops.rules.weekly import IsoWeek
    from careops.services.weekly import steps as weekly_steps
    from careops.services.weekly.meetings import WeeklyEnv

    run = {"remind": weekly_steps.send_reminders, "nudge": weekly_steps.send_nudges,
           "compile": weekly_steps.compile_report}[step]
    result = run(UnitOfWork(), WeeklyEnv.from_settings(), IsoWeek.parse(week),
                 datetime.fromisoformat(now))
    return result.queued


def submit_in_this_process(code: str, text: str, now: str) -> int:
    from careops.services.weekly.meetings import WeeklyEnv
    from careops.services.weekly.submissions import SubmissionInput, submit

    data = SubmissionInput(code, text, "客户满意", week="2026-W40")
    return submit(UnitOfWork(), WeeklyEnv.from_settings(), data,
                  datetime.fromisoformat(now)).revision


def _count(uow: UnitOfWork, model) -> int:
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_two_runs_of_each_step_at_once(uow, db_url, smtp, settings):
    build_world(uow)
    env = {"CAREOPS_DATABASE_URL": db_url, "CAREOPS_SMTP__PORT": str(smtp.port)}
    now = MOVED_MEETING.isoformat()

    reminded = run_together(step_in_this_process, ("remind", "2026-W40", now), env)
    assert sorted(len(r) for r in reminded) == [0, 5] and _count(uow, WeeklyMeeting) == 1

    nudged = run_together(step_in_this_process, ("nudge", "2026-W40", now), env)
    assert sorted(len(r) for r in nudged) == [0, 5]

    revisions = run_together(submit_in_this_process, ("TS001", "同一份周报", now), env)
    assert sorted(revisions) == [1, 1] and _count(uow, WeeklyRevision) == 1

    compiled = run_together(step_in_this_process, ("compile", "2026-W40", now), env)
    assert sorted(len(r) for r in compiled) == [0, 6]  # 5 TS (one zh mail, one en) + CS head
    assert _count(uow, OutboxMessage) == 5 + 5 + 2
    deliver_pending(uow.engine, settings.smtp)
    assert len(smtp.to(CS_HEAD)) == 1
    assert len(smtp.to(email("TS001"))) == 3  # reminder, nudge (before submitting), report


def test_a_submission_racing_the_compile_is_in_the_report_or_an_addendum(
        uow, db_url, smtp, settings):
    build_world(uow)
    env = {"CAREOPS_DATABASE_URL": db_url, "CAREOPS_SMTP__PORT": str(smtp.port)}
    now = MOVED_MEETING.isoformat()
    run_each([(step_in_this_process, ("compile", "2026-W40", now)),
              (submit_in_this_process, ("TS002", "抢先提交的周报", now))], env)
    with uow:
        counted = uow.session.scalar(select(WeeklyMeeting.submitted_count))
        late = uow.session.scalar(select(WeeklySubmission.late))
    deliver_pending(uow.engine, settings.smtp)
    mails = smtp.to(CS_HEAD)
    if late:  # the compile came first: the text went as an addendum
        assert counted == 0 and len(mails) == 2
        assert any("抢先提交" in m.text() and "补交" in m.subject for m in mails)
    else:
        assert counted == 1 and len(mails) == 1 and "抢先提交" in mails[0].text()
