"""The words of the R7 monthly report (tables, bases, charts) in zh_CN and en."""

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
        "not_yet": ["节假日网站可用率（R3）将在该流程上线后纳入本报告。"],
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
        "not_yet": ["Holiday availability (R3) joins this report when that process is in "
                    "careops."],
    },
}
