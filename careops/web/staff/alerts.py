"""R3 "I'm on it": the page behind a holiday-watch alert's personal link (scope "alert").

    GET  /staff/alert/{token}   the alert's site(s): since when down, the latest check, who
                                acknowledged; one button "我来处理 / I'm on it"
    POST /staff/alert/{token}   acknowledge (careops.services.watch.acks.acknowledge, the
                                service `careops watch ack` calls), recorded "via link"

The token's subject (`incident:<id>` or a grouped round's `group:<period>:<round>`) is the
only item the page shows or acts on: a posted incident outside it is refused (400).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from careops.errors import NotFound
from careops.services.watch.acks import AlertView, IncidentView, acknowledge, show_alert
from careops.web import csrf
from careops.web.staff.pages import StaffContext, StaffPages
from careops.web.staff.words import words_for

ACTION = "watch.acknowledge"
MAX_CHOICES = 200

WORDS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "网站故障：我来处理",
        "intro": "节假日值守发现以下网站无法正常访问。点击“我来处理”告知其他人由您跟进："
        "此后不再为它发送提醒，恢复时仍会通知。",
        "site": "网站",
        "project": "项目",
        "down_since": "故障开始",
        "since_value": "{since}（已约 {minutes} 分钟）",
        "back_up": "已于 {at} 恢复（中断约 {minutes} 分钟）",
        "latest": "最近一次检查",
        "latest_ok": "{at}：正常（HTTP {status}，{ms} 毫秒）",
        "latest_bad": "{at}：失败（{reason}）",
        "no_check": "尚无检查结果",
        "acknowledged": "处理人",
        "acked_by": "{name} 已于 {at} 确认处理",
        "acked_you": "您已于 {at} 确认处理",
        "choose_sites": "由我处理的网站",
        "button": "我来处理",
        "done": "已记录：由您处理，此后不再为它发送提醒。",
        "already": "{name} 已于 {at} 确认处理，无需重复确认。",
        "ended": "该网站已恢复，无需处理。",
        "nothing_open": "这条告警中的网站都已恢复或已有人处理。",
        "choose": "请至少选择一个网站。",
        "bad_choice": "所选网站不属于这条告警。",
        "gone_title": "告警不存在",
        "gone_body": "找不到这条告警对应的故障记录。",
    },
    "en": {
        "title": "Site down: I'm on it",
        "intro": "The holiday watch found this site down. Press \"I'm on it\" to tell the "
        "others you are handling it: no more reminders go out for it; the recovery notice "
        "still comes.",
        "site": "Site",
        "project": "Project",
        "down_since": "Down since",
        "since_value": "{since} (about {minutes} minutes)",
        "back_up": "Back up at {at} (down about {minutes} minutes)",
        "latest": "Latest check",
        "latest_ok": "{at}: up (HTTP {status}, {ms} ms)",
        "latest_bad": "{at}: failed ({reason})",
        "no_check": "No check result yet",
        "acknowledged": "Handled by",
        "acked_by": "Acknowledged by {name} at {at}",
        "acked_you": "You acknowledged it at {at}",
        "choose_sites": "The sites I handle",
        "button": "I'm on it",
        "done": "Recorded: you are handling it; no more reminders go out for it.",
        "already": "{name} already acknowledged it at {at}: nothing to do.",
        "ended": "This site is back up: nothing to acknowledge.",
        "nothing_open": "Every site of this alert is back up or already acknowledged.",
        "choose": "Choose at least one site.",
        "bad_choice": "A chosen site is not part of this alert.",
        "gone_title": "No such alert",
        "gone_body": "The incident this alert was about was not found.",
    },
}


def _row(staff: StaffPages, w, incident: IncidentView, me: str, now: datetime) -> dict:
    latest = incident.latest
    if latest is None:
        check = w("no_check")
    elif latest["ok"]:
        check = w("latest_ok", at=staff.local(latest["at"]), status=latest["status"] or "-",
                  ms=latest["ms"] if latest["ms"] is not None else "-")
    else:
        reason = latest["error"] or (f"HTTP {latest['status']}" if latest["status"] else "-")
        check = w("latest_bad", at=staff.local(latest["at"]), reason=reason)
    ack = None
    if incident.acknowledged_at is not None:
        at = staff.local(incident.acknowledged_at)
        ack = (w("acked_you", at=at) if incident.acknowledged_code == me
               else w("acked_by", name=incident.acknowledged_by, at=at))
    since = (w("back_up", at=staff.local(incident.ended_at),
               minutes=incident.down_minutes(now)) if incident.ended_at is not None else
             w("since_value", since=staff.local(incident.started_at),
               minutes=incident.down_minutes(now)))
    return {"id": incident.id, "url": incident.url,
            "project": f"{incident.project_code} {incident.project_name} "
                       f"({incident.customer_name})",
            "since": since, "check": check, "ack": ack,
            "open": incident.ended_at is None and incident.acknowledged_at is None}


def alerts_router(staff: StaffPages) -> APIRouter:
    router = APIRouter()

    def find(request: Request, ctx: StaffContext) -> AlertView | HTMLResponse:
        try:
            return show_alert(staff.read_uow(), ctx.claim.subject)
        except NotFound:
            return staff.notice(request, ctx.locale, "gone", 404, WORDS)

    def render(request: Request, ctx: StaffContext, alert: AlertView, status: int = 200,
               error: str | None = None, done: list[str] | None = None) -> HTMLResponse:
        w = words_for(ctx.locale, WORDS)
        now = staff.clock()
        rows = [_row(staff, w, i, ctx.person.code, now) for i in alert.incidents]
        return staff.form(request, "staff/alert.html", ctx, WORDS, status, rows=rows,
                          ackable=[r for r in rows if r["open"]], error=error,
                          done=done or [])

    @router.get("/staff/alert/{token}", response_class=HTMLResponse)
    @staff.view
    def alert_page(request: Request, token: str, lang: str | None = None):
        ctx = staff.open(request, "alert", token, lang)
        if isinstance(ctx, HTMLResponse):
            return ctx
        alert = find(request, ctx)
        return alert if isinstance(alert, HTMLResponse) else render(request, ctx, alert)

    @router.post("/staff/alert/{token}", response_class=HTMLResponse)
    def alert_post(request: Request, token: str, lang: str | None = None,
                   incident: Annotated[list[str] | None, Form()] = None,
                   csrf_token: str = Form("", alias=csrf.FIELD)):
        ctx = staff.open(request, "alert", token, lang)
        if isinstance(ctx, HTMLResponse):
            return ctx
        if not staff.csrf_ok(request, csrf_token):
            return staff.notice(request, ctx.locale, "csrf", 403, WORDS)
        alert = find(request, ctx)
        if isinstance(alert, HTMLResponse):
            return alert
        w = words_for(ctx.locale, WORDS)
        mine = {i.id for i in alert.incidents}
        incident = incident or []
        if not incident:
            return render(request, ctx, alert, 400, w("choose"))
        if (len(incident) > MAX_CHOICES or not all(v.isdigit() and len(v) < 12 for v in incident)
                or not {int(v) for v in incident} <= mine):
            return render(request, ctx, alert, 400, w("bad_choice"))
        ids = sorted({int(v) for v in incident})
        audited = staff.audited(ctx, ACTION, ctx.claim.subject,
                                detail="incidents " + ", ".join(map(str, ids)))
        result = acknowledge(audited, ids, staff.clock(), staff_id=ctx.person.id, via="link")
        done = [w("done")] if result.acknowledged else []
        done += [w("already", name=name, at=staff.local(at))
                 for _, name, code, at in result.already if code != ctx.person.code]
        done += [w("ended")] if result.ended and not result.acknowledged else []
        return render(request, ctx, show_alert(staff.read_uow(), ctx.claim.subject), done=done)

    return router
