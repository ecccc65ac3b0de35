"""R4 through the services on a real database and SMTP server, on a frozen clock.

The week is 2026-W40, whose meeting moves to Wednesday 09-30 (Thursday and Friday are National
Day): reminder with the draft facts, replacement with history, nudge, compile, late addendum.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from careops.clock import FrozenClock
from careops.db.models.outbox import OutboxMessage
from careops.db.models.weekly import WeeklyMeeting, WeeklyRevision, WeeklySubmission
from careops.rules.weekly import IsoWeek
from careops.services.weekly.meetings import WeeklyEnv
from careops.services.weekly.steps import compile_report, send_nudges, send_reminders, show_report
from careops.services.weekly.submissions import SubmissionInput, mark_away, submit
from tests.integration.weekly_world import (
    CS_HEAD,
    MOVED_MEETING,
    TS1,
    TS2,
    TS3,
    TS_AWAY,
    TS_HEAD,
    WeeklyHarness,
    build_world,
    email,
)

W40 = IsoWeek(2026, 40)


@pytest.fixture
def h(uow, settings, smtp) -> WeeklyHarness:
    ids = build_world(uow)
    env = WeeklyEnv.from_settings(settings, ui_form_url="http://ui.test/deployments/x/run")
    return WeeklyHarness(uow, env, FrozenClock(MOVED_MEETING), smtp, settings, ids)


def _submit(h: WeeklyHarness, code: str, situation: str = "本周巡检正常", **kw):
    data = SubmissionInput(code, situation, kw.pop("feedback", "客户满意"), week="2026-W40", **kw)
    return submit(h.uow, h.env, data, h.clock())


def test_a_moved_meeting_day_end_to_end(h):
    assert mark_away(h.uow, h.env, TS_AWAY, "2026-W40", h.clock(), reason="出差").changed

    reminded = send_reminders(h.uow, h.env, W40, h.clock())
    assert reminded.meeting_date == "2026-09-30"
    assert sorted(reminded.queued) == sorted([TS_HEAD, TS1, TS2, TS3])
    mails = {m.envelope_to[0]: m for m in h.deliver()}
    assert set(mails) == {email(c) for c in (TS_HEAD, TS1, TS2, TS3)}  # not away, not inactive
    draft = mails[email(TS1)].text()
    assert "2026年9月30日（星期三）15:00" in draft and "例会提前" in draft
    assert "已回访：P-ALPHA" in draft and "逾期未回访：P-ALPHA" in draft
    assert "首页 502" in draft and "历时 2.5 小时" in draft and "P-BETA" not in draft
    assert "http://ui.test/deployments/x/run" in draft and "--staff TS001" in draft
    assert "未接通：P-BETA" in mails[email(TS2)].text()
    assert "Wednesday" in mails[email(TS3)].subject
    assert send_reminders(h.uow, h.env, W40, h.clock()).already and h.deliver() == []

    h.clock.advance(hours=1)
    first = _submit(h, TS1, "第一版")
    second = _submit(h, TS1, "第二版：巡检 3 个站点，均正常")
    again = _submit(h, TS1, "第二版：巡检 3 个站点，均正常")
    assert (first.revision, second.revision, again.revision) == (1, 2, 2)
    assert not again.changed and not second.late
    with h.uow:
        history = h.uow.session.scalars(select(WeeklyRevision.situation)
                                        .order_by(WeeklyRevision.revision)).all()
    assert history == ["第一版", "第二版：巡检 3 个站点，均正常"]

    h.clock.advance(hours=2.5)  # 13:00
    nudged = send_nudges(h.uow, h.env, W40, h.clock())
    assert sorted(nudged.queued) == sorted([TS_HEAD, TS2, TS3])
    assert {m.envelope_to[0] for m in h.deliver()} == {email(c) for c in (TS_HEAD, TS2, TS3)}
    assert send_nudges(h.uow, h.env, W40, h.clock()).queued == []

    _submit(h, TS2, "处理 P-BETA 打印机驱动问题", problems="需要采购备件")
    h.clock.advance(hours=1)  # 14:00
    compiled = compile_report(h.uow, h.env, W40, h.clock())
    assert compiled.report["expected"] == 4 and compiled.report["submitted"] == 2
    mails = h.deliver()
    zh = next(m for m in mails if email(TS1) in m.envelope_to)
    assert set(zh.envelope_to) == {email(c) for c in (TS_HEAD, TS1, TS2, TS_AWAY)} | {CS_HEAD}
    en = next(m for m in mails if email(TS3) in m.envelope_to)
    assert en.envelope_to == [email(TS3)] and "2 of 4 submitted" in en.subject
    body = zh.text()
    assert "已提交 2/4" in zh.subject and "第二版：巡检 3 个站点" in body and "需要采购备件" in body
    assert "Tom Lee（TS003）、周主任（TSH）" in body and "王出差（TS004，出差）" in body
    chart = next(p for p in zh.message.walk() if p.get_content_type() == "image/png")
    assert f'src="cid:{str(chart["Content-ID"]).strip().strip("<>")}"' in zh.html()
    assert chart.get_content().startswith(b"\x89PNG")
    assert compile_report(h.uow, h.env, W40, h.clock()).already and h.deliver() == []
    assert send_reminders(h.uow, h.env, W40, h.clock()).skipped
    assert send_nudges(h.uow, h.env, W40, h.clock()).skipped

    h.clock.advance(minutes=20)
    late = _submit(h, TS3, "All sites checked", feedback="Customer asked for a training")
    assert late.late and CS_HEAD in late.addendum_to
    addenda = h.deliver()
    assert {a for m in addenda for a in m.envelope_to} == set(zh.envelope_to) | {email(TS3)}
    assert any("All sites checked" in m.text() and "补交" in m.subject for m in addenda)
    shown = show_report(h.uow, h.env, W40)
    assert "2 of 4" in shown and "Late submissions" in shown and "All sites checked" in shown
    with h.uow:
        meeting = h.uow.session.scalar(select(WeeklyMeeting))
        assert (meeting.expected_count, meeting.submitted_count) == (4, 2)
        assert h.uow.session.scalar(select(WeeklySubmission.late).where(
            WeeklySubmission.staff_id == h.ids[TS3])) is True


@pytest.mark.parametrize(
    ("code", "week", "situation", "error"),
    [
        ("TS0O1", "2026-W40", "正常", "unknown staff code 'TS0O1'; did you mean TS001"),
        ("CS1", "2026-W40", "正常", "is in CS, not TS"),
        ("TS9", "2026-W40", "正常", "not an active staff member"),
        (TS1, "2026-W08", "正常", "2026-W08 has no meeting"),
        (TS1, "2027-W10", "正常", "calendar for 2027 is not published"),
        (TS1, "2026-W40", "   ", "situation is empty"),
        (TS1, "2026-W40", "字" * 20_001, "situation is 20001 characters long"),
        (TS1, "2026-48", "正常", "'2026-48' is not a week"),
        (TS1, "2026-W41", "正常", "2026-W41 has not started yet"),
    ],
)
def test_bad_submissions_store_nothing(h, code, week, situation, error):
    with pytest.raises(Exception, match=error):
        submit(h.uow, h.env, SubmissionInput(code, situation, "反馈", week=week), h.clock())
    with h.uow:
        for model in (WeeklySubmission, WeeklyMeeting, OutboxMessage):
            assert h.uow.session.scalar(select(func.count()).select_from(model)) == 0


def test_away_can_be_undone_and_needs_a_meeting_week(h):
    assert not mark_away(h.uow, h.env, TS1, "2026-W40", h.clock(), undo=True).changed
    assert mark_away(h.uow, h.env, TS1, "2026-W40", h.clock()).changed
    assert not mark_away(h.uow, h.env, TS1, "2026-W40", h.clock()).changed
    assert mark_away(h.uow, h.env, TS1, "2026-W40", h.clock(), undo=True).changed
    with pytest.raises(Exception, match="has no meeting"):
        mark_away(h.uow, h.env, TS1, "2026-W08", h.clock())
