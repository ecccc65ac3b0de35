"""The words of the R7 monthly report (tables, bases, charts, holiday periods) in zh_CN and en."""

from __future__ import annotations

_CB = ["planned", "reached", "not reached", "declined", "missed", "still open", "done %",
       "mean satisfaction"]
_FAULT = ["reported", "filed", "resolved", "analysed", "median h to file", "worst h to file",
          "median h to resolve", "worst h to resolve", "median h to analysis",
          "worst h to analysis", "chases sent"]
_CASE = ["received", "answered in time", "answered late", "overdue, no answer",
         "open, not yet due", "deadline pending", "deadline met %", "special", "reopened",
         "satisfied", "not satisfied"]

LABELS: dict[str, dict] = {
    "zh_CN": {
        "file": "服务监督月报",
        "names": {"total": "合计", "major": "重大", "minor": "一般", "complaint": "投诉",
                  "consultation": "咨询", "suggestion": "建议", "none": "未指定",
                  "phone": "电话", "email": "邮件", "visit": "来访", "letter": "信函",
                  "web": "网页", "callback": "回访中提出"},
        "sections": {
            "callbacks": {
                "title": "客户回访", "headers": ["客服人员", "计划", "已联系", "未接通", "拒访",
                                             "漏访", "未完成", "完成率%", "平均满意度"],
                "basis": "口径：应回访月份为本月的回访（不含已取消），按负责的客服人员统计；"
                         "满意度为 1–5 分的平均值。"},
            "faults": {
                "title": "故障报告", "headers": ["级别", "报告", "已备案", "已解决", "已分析",
                                             "备案用时中位(时)", "备案用时最长(时)",
                                             "解决用时中位(时)", "解决用时最长(时)",
                                             "分析用时中位(时)", "分析用时最长(时)", "催办次数"],
                "basis": "口径：本月报告的故障，按报告时间计；备案、解决用时自报告起算，"
                         "分析用时自解决起算。"},
            "cases": {
                "title": "投诉咨询建议", "headers": ["类型", "受理", "按期答复", "逾期答复",
                                               "超期未答复", "未到期", "期限待定", "按期率%",
                                               "特殊情况", "重新打开", "满意", "不满意"],
                "basis": "口径：本月受理的事项，按受理时间计；期限按《民法典》期间计算规则；"
                         "按期率不含尚未到期的事项；期限待定：所需年度的工作日历尚未发布。"},
            "case_channels": {"title": "受理渠道", "headers": ["渠道", "件数"],
                              "basis": "口径：本月受理的事项，按受理渠道统计。"},
            "case_departments": {"title": "责任部门", "headers": ["部门", "件数"],
                                 "basis": "口径：本月受理的事项，按责任部门统计。"},
            "weekly": {"title": "周报提交", "headers": ["周次", "例会日期", "应交", "按时提交",
                                                  "提交率%"],
                       "basis": "口径：例会日期在本月的技术服务部例会，按汇总时的应交人数（不含"
                                "请假）和按时提交人数统计；合计为提交总数除以应交总数。"},
        },
        "charts": {"callbacks": "回访完成率（按客服人员）", "cases": "按期答复率（按类型）"},
        "holiday": {
            "names": {"spring-festival": "春节", "national-day": "国庆节", "new-year": "元旦",
                      "may-day": "劳动节", "mid-autumn": "中秋节", "qingming": "清明节",
                      "dragon-boat": "端午节"},
            "period": "{year}年{names}", "separator": "、", "window": "{start} → {end}",
            "provisional": "{period}（暂定值守窗口）",
            "summary": {
                "title": "节假日网站可用率",
                "headers": ["节假日期间", "值守窗口", "值守网站", "检查轮次", "正常轮次",
                            "可用率%", "故障次数", "停机时长(分钟)", "告警", "提醒"],
                "basis": "口径：最后一天在本月的节假日期间（跨月的期间计入其结束的月份），"
                         "数据与节假日可用率报告相同：值守窗口内每 {every} 分钟一轮的值守检查，"
                         "按检查时间归入窗口，不含临时检查；值守网站：窗口内有值守检查的网站；"
                         "可用率 = 正常轮次 ÷ 检查轮次；"
                         "停机时长 = 失败轮次 × {every} 分钟；故障：连续失败达到告警阈值；"
                         "告警：每次故障发出的首次告警（合并告警按网站计），提醒另计。"},
            "sites": {
                "title": "{period}各网站可用率",
                "headers": ["网站", "客户", "项目", "检查轮次", "正常轮次", "可用率%",
                            "停机时长(分钟)", "故障次数"],
                "basis": "口径：值守窗口 {window} 内的值守检查，按检查时间计，每 {every} 分钟"
                         "一轮；可用率 = 正常轮次 ÷ 检查轮次，合计按所有网站的轮次计；"
                         "停机时长 = 失败轮次 × {every} 分钟。"},
            "none": "节假日网站可用率：{month}没有结束的节假日期间。",
            "unknown_year": "节假日网站可用率：{year} 年的工作日历尚未发布，"
                            "无法确定{month}结束的节假日期间。",
        },
    },
    "en": {
        "file": "supervision-report",
        "names": {"total": "Total", "major": "major", "minor": "minor",
                  "complaint": "complaint", "consultation": "consultation",
                  "suggestion": "suggestion", "none": "not set", "phone": "phone",
                  "email": "e-mail", "visit": "visit", "letter": "letter", "web": "web",
                  "callback": "during a callback"},
        "sections": {
            "callbacks": {
                "title": "Callbacks", "headers": ["CS person", *_CB],
                "basis": "Basis: callbacks due in the month (cancelled ones excluded), by the "
                         "CS person assigned; satisfaction is the mean of 1-5 scores."},
            "faults": {
                "title": "Faults", "headers": ["severity", *_FAULT],
                "basis": "Basis: faults reported in the month, by reported time; hours to file "
                         "and to resolve from the report, to the analysis from the resolution."},
            "cases": {
                "title": "Cases", "headers": ["kind", *_CASE],
                "basis": "Basis: cases received in the month, by received time; deadlines by "
                         "the Civil Code counting; met % leaves out cases not yet due; deadline "
                         "pending: its year's working-day calendar is not published yet."},
            "case_channels": {"title": "Case channels", "headers": ["channel", "cases"],
                              "basis": "Basis: cases received in the month, by channel."},
            "case_departments": {"title": "Responsible departments",
                                 "headers": ["department", "cases"],
                                 "basis": "Basis: cases received in the month, by the "
                                          "responsible department."},
            "weekly": {"title": "Weekly reports",
                       "headers": ["week", "meeting", "expected", "on time", "rate %"],
                       "basis": "Basis: TS meetings held in the month, by meeting date; expected "
                                "= active TS staff not away at the compile, on time = submitted "
                                "before it; the total is all submissions over all expected."},
        },
        "charts": {"callbacks": "Callbacks done % by CS person",
                   "cases": "Answered in time % by kind"},
        "holiday": {
            "names": {"spring-festival": "Spring Festival", "national-day": "National Day",
                      "new-year": "New Year's Day", "may-day": "May Day",
                      "mid-autumn": "Mid-Autumn Festival", "qingming": "Qingming Festival",
                      "dragon-boat": "Dragon Boat Festival"},
            "period": "{names} {year}", "separator": ", ", "window": "{start} → {end}",
            "provisional": "{period} (provisional window)",
            "summary": {
                "title": "Holiday availability",
                "headers": ["holiday period", "watch window", "sites watched", "checks", "up",
                            "up %", "incidents", "downtime min", "alerts", "reminders"],
                "basis": "Basis: holiday periods whose last day is in the month (one spanning "
                         "a month end counts in the month it ended), figures as in the holiday "
                         "availability report: the watch's checks every {every} minutes inside "
                         "the watch window, by check time, ad-hoc checks left out; sites "
                         "watched = sites with a watch check in the window; up % = "
                         "rounds up / rounds checked; downtime = failed rounds × {every} "
                         "minutes; an incident = failures reaching the alert threshold; alerts "
                         "= the first alert of each incident (a grouped alert counted per "
                         "site), reminders apart."},
            "sites": {
                "title": "{period} by site",
                "headers": ["site", "customer", "project", "checks", "up", "up %",
                            "downtime min", "incidents"],
                "basis": "Basis: the watch's checks inside the watch window {window}, by check "
                         "time, a round every {every} minutes; up % = rounds up / rounds "
                         "checked, the total over every site's rounds; downtime = failed "
                         "rounds × {every} minutes."},
            "none": "Holiday availability: no holiday period ended in {month}.",
            "unknown_year": "Holiday availability: the {year} working-day calendar is not "
                            "published yet, so the holiday periods ending in {month} are not "
                            "known.",
        },
    },
}
