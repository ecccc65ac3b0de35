"""R4 the personal weekly report page: `/staff/weekly/{token}` (scope "weekly", subject the week).

The reminder and the nudge carry the link (services/weekly/steps.py `_links`, valid until the
meeting day's end + 7 days). GET: the form filled with the current text, else the week's draft
facts (services/weekly/personal.py); POST: `submissions.submit` (channel "web"), as the CLI:
a new revision before the compile, a late addendum after it. The TS head also marks members
away or back (POST `.../away`: `submissions.mark_away`). Every action is a staff_action row.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from careops.errors import CareopsError
from careops.services.weekly.facts import WeekFacts
from careops.services.weekly.meetings import WeeklyEnv
from careops.services.weekly.personal import PersonalWeek, personal_week
from careops.services.weekly.submissions import SubmissionInput, mark_away, submit
from careops.web import csrf
from careops.web.staff.pages import StaffContext, StaffPages
from careops.web.staff.words import words_for

SCOPE = "weekly"
TEMPLATE = "staff/weekly.html"
REASON_LIMIT = 300

WORDS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "{week} 周报",
        "meeting": "技术服务部例会：{day} {meeting}；{compile} 汇总。",
        "compiled": "周报已于 {at} 汇总。现在提交的内容将作为补交，发送给周报的收件人。",
        "current": "您已提交第 {revision} 版（{at}），可以修改后再次提交。",
        "draft": "系统记录的本周情况（底稿）",
        "no_facts": "本周系统中没有您负责项目的回访或故障记录。",
        "situation": "本周客户服务情况",
        "feedback": "客户反馈意见",
        "problems": "需要协调解决的问题（选填）",
        "submit_report": "提交周报",
        "required": "请填写{field}。",
        "saved_report": "已保存第 {revision} 版。",
        "saved_late": "已保存第 {revision} 版，并作为补交发送给周报的收件人。",
        "unchanged": "内容与上次提交相同，没有重复保存。",
        "away_title": "本周外出的成员",
        "away_help": "标记外出的成员本周不会收到提醒，也不计入未提交。",
        "member": "成员",
        "reason": "原因（选填，最多 {limit} 字）",
        "reason_field": "原因",
        "mark_away": "标记本周外出",
        "mark_back": "取消外出：{name}",
        "away_list": "{name}（{code}）外出{reason}",
        "nobody_away": "本周没有人标记外出。",
        "choose_member": "请选择一位技术服务部成员。",
        "marked_away": "已标记 {name} 本周外出。",
        "marked_back": "已取消 {name} 的外出标记。",
        "callbacks": "回访：完成 {done} 次，未接通 {not_reached} 次，逾期未回访 {missed} 次",
        "cb_done": "已回访：{project} {customer}（{due} 到期）",
        "cb_not_reached": "未接通：{project} {customer}（{due} 到期）",
        "cb_missed": "逾期未回访：{project} {customer}（{due} 到期）",
        "faults": "故障：本周报告 {reported} 起，解决 {resolved} 起",
        "fault": "故障 #{id} {project} {customer}：{symptoms}（{reported} 报告，{end}）",
        "fault_open": "尚未解决",
        "fault_ended": "{ended} 恢复",
        "not_ts_title": "无法打开周报",
        "not_ts_body": "周报只由在职的技术服务部人员提交，或这一周没有例会。",
        "not_head_title": "无法标记外出",
        "not_head_body": "只有技术服务部负责人可以标记成员外出。",
    },
    "en": {
        "title": "Weekly report {week}",
        "meeting": "TS department meeting: {day} {meeting}; compiled at {compile}.",
        "compiled": "The report was compiled at {at}. What you submit now is mailed to the "
        "report's recipients as a late addendum.",
        "current": "You submitted revision {revision} ({at}); you can change it and submit again.",
        "draft": "What careops recorded this week (draft)",
        "no_facts": "No callbacks or faults of your projects were recorded this week.",
        "situation": "Customer-service situation this week",
        "feedback": "Customer feedback",
        "problems": "Problems needing help (optional)",
        "submit_report": "Submit the report",
        "required": "Please fill in: {field}.",
        "saved_report": "Revision {revision} saved.",
        "saved_late": "Revision {revision} saved and mailed to the report's recipients as a "
        "late addendum.",
        "unchanged": "Same text as your last submission: nothing new was saved.",
        "away_title": "Members away this week",
        "away_help": "A member marked away is not reminded and not counted missing this week.",
        "member": "Member",
        "reason": "Reason (optional, at most {limit} characters)",
        "reason_field": "The reason",
        "mark_away": "Mark away this week",
        "mark_back": "Not away: {name}",
        "away_list": "{name} ({code}) away{reason}",
        "nobody_away": "Nobody is marked away this week.",
        "choose_member": "Please choose a TS member.",
        "marked_away": "{name} is marked away this week.",
        "marked_back": "{name} is no longer marked away.",
        "callbacks": "Callbacks: {done} done, {not_reached} not reached, {missed} overdue",
        "cb_done": "done: {project} {customer} (due {due})",
        "cb_not_reached": "not reached: {project} {customer} (due {due})",
        "cb_missed": "overdue: {project} {customer} (due {due})",
        "faults": "Faults: {reported} reported, {resolved} resolved this week",
        "fault": "fault #{id} {project} {customer}: {symptoms} (reported {reported}, {end})",
        "fault_open": "not resolved yet",
        "fault_ended": "ended {ended}",
        "not_ts_title": "The weekly report cannot be opened",
        "not_ts_body": "Weekly reports are submitted by active TS staff, for a week with a "
        "meeting.",
        "not_head_title": "Cannot mark anyone away",
        "not_head_body": "Only the TS head marks members away.",
    },
}


def draft_lines(facts: WeekFacts, w: Callable[..., str], local: Callable[[datetime], str]
                ) -> list[str]:
    """The week's facts as plain lines in the page's language (the draft of the situation)."""
    lines = [w("callbacks", done=len(facts.done), not_reached=len(facts.not_reached),
               missed=len(facts.missed))]
    for key, items in (("cb_done", facts.done), ("cb_not_reached", facts.not_reached),
                       ("cb_missed", facts.missed)):
        lines += [f"- {w(key, project=c.project_code, customer=c.customer_name, due=c.due_date)}"
                  for c in items]
    lines.append(w("faults", reported=len(facts.faults_reported),
                   resolved=len(facts.faults_resolved)))
    seen = {f.fault_id for f in facts.faults_reported}
    for f in facts.faults_reported + [f for f in facts.faults_resolved if f.fault_id not in seen]:
        end = w("fault_ended", ended=local(f.ended_at)) if f.ended_at else w("fault_open")
        lines.append("- " + w("fault", id=f.fault_id, project=f.project_code,
                              customer=f.customer_name, symptoms=f.symptoms,
                              reported=local(f.reported_at), end=end))
    return lines


def weekly_router(staff: StaffPages) -> APIRouter:
    router = APIRouter()
    envs: list[WeeklyEnv] = []

    def env() -> WeeklyEnv:
        if not envs:
            envs.append(WeeklyEnv.from_settings(staff.settings))
        return envs[0]

    def opened(request: Request, token: str, lang: str | None
               ) -> tuple[StaffContext, PersonalWeek] | HTMLResponse:
        ctx = staff.open(request, SCOPE, token, lang)
        if isinstance(ctx, HTMLResponse):
            return ctx
        try:
            view = personal_week(staff.read_uow(), env(), ctx.person.id, ctx.claim.subject)
        except CareopsError:
            return staff.notice(request, ctx.locale, "not_ts", 403, WORDS)
        return ctx, view

    def show(request: Request, ctx: StaffContext, view: PersonalWeek, status: int = 200,
             error: str | None = None, done: str | None = None,
             texts: tuple[str, str, str] | None = None) -> HTMLResponse:
        w = words_for(ctx.locale, WORDS)
        draft = draft_lines(view.facts, w, staff.local)
        if texts is None:
            current = view.current
            texts = ((current.situation, current.feedback, current.problems) if current
                     else ("\n".join(draft), "", ""))
        plan = view.plan
        return staff.form(
            request, TEMPLATE, ctx, WORDS, status, title=w("title", week=view.week),
            view=view, draft=draft, error=error, done=done, situation=texts[0],
            feedback=texts[1], problems=texts[2], limit=env().rules.max_text_chars,
            reason_limit=REASON_LIMIT,
            meeting=w("meeting", day=plan.day.isoformat(), meeting=f"{plan.meeting_at:%H:%M}",
                      compile=f"{plan.compile_at:%H:%M}"),
            compiled=w("compiled", at=staff.local(view.compiled_at)) if view.compiled_at else "",
            current=w("current", revision=view.current.revision,
                      at=staff.local(view.current.submitted_at)) if view.current else "")

    @router.get("/staff/weekly/{token}", response_class=HTMLResponse)
    @staff.view
    def weekly_page(request: Request, token: str, lang: str | None = None):
        found = opened(request, token, lang)
        return found if isinstance(found, HTMLResponse) else show(request, *found)

    @router.post("/staff/weekly/{token}", response_class=HTMLResponse)
    def weekly_submit(request: Request, token: str, lang: str | None = None,
                      situation: str = Form(""), feedback: str = Form(""),
                      problems: str = Form(""), csrf_token: str = Form("", alias=csrf.FIELD)):
        found = opened(request, token, lang)
        if isinstance(found, HTMLResponse):
            return found
        ctx, view = found
        if not staff.csrf_ok(request, csrf_token):
            return staff.notice(request, ctx.locale, "csrf", 403, WORDS)
        w, limit = words_for(ctx.locale, WORDS), env().rules.max_text_chars
        texts = (situation.strip(), feedback.strip(), problems.strip())
        error = None
        for key, text, required in zip(("situation", "feedback", "problems"), texts,
                                       (True, True, False), strict=True):
            if error is None and required and not text:
                error = w("required", field=w(key))
            elif error is None and len(text) > limit:
                error = w("too_long", field=w(key), limit=limit, count=len(text))
        if error is None:
            audited = staff.audited(ctx, "weekly.submit", f"weekly:{view.week}",
                                    "late" if view.compiled_at else None)
            data = SubmissionInput(ctx.person.code, *texts, week=view.week, channel="web")
            try:
                result = submit(audited, env(), data, staff.clock())
            except CareopsError as exc:
                error = str(exc).splitlines()[0]
        if error is not None:
            return show(request, ctx, view, 400, error=error,
                        texts=tuple(t[:limit] for t in texts))
        if result.addendum_to:
            staff.deliver()
        done = (w("unchanged") if not result.changed else
                w("saved_late" if result.late else "saved_report", revision=result.revision))
        return show(request, ctx, personal_week(staff.read_uow(), env(), ctx.person.id, view.week),
                    done=done)

    @router.post("/staff/weekly/{token}/away", response_class=HTMLResponse)
    def weekly_away(request: Request, token: str, lang: str | None = None,
                    staff_code: str = Form(""), reason: str = Form(""), back: str = Form(""),
                    csrf_token: str = Form("", alias=csrf.FIELD)):
        found = opened(request, token, lang)
        if isinstance(found, HTMLResponse):
            return found
        ctx, view = found
        if not staff.csrf_ok(request, csrf_token):
            return staff.notice(request, ctx.locale, "csrf", 403, WORDS)
        if not view.head:
            return staff.notice(request, ctx.locale, "not_head", 403, WORDS)
        w, reason = words_for(ctx.locale, WORDS), reason.strip()
        member = next((m for m in view.members if m.code == staff_code), None)
        if member is None:
            return show(request, ctx, view, 400, error=w("choose_member"))
        if len(reason) > REASON_LIMIT:
            return show(request, ctx, view, 400, error=w(
                "too_long", field=w("reason_field"), limit=REASON_LIMIT,
                count=len(reason)))
        undo = bool(back)
        audited = staff.audited(ctx, "weekly.back" if undo else "weekly.away",
                                f"weekly:{view.week}:{member.code}", reason or None)
        try:
            mark_away(audited, env(), member.code, view.week, staff.clock(), reason=reason,
                      undo=undo)
        except CareopsError as exc:
            return show(request, ctx, view, 400, error=str(exc).splitlines()[0])
        done = w("marked_back" if undo else "marked_away", name=member.name)
        return show(request, ctx, personal_week(staff.read_uow(), env(), ctx.person.id, view.week),
                    done=done)

    return router
