"""The survey page's words, zh_CN first and en (a test checks both have every key)."""

from __future__ import annotations

SURVEY_WORDS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "{next_year}年需求调查",
        "hello": "尊敬的{name}，您好！",
        "intro": "感谢{customer}一年来的信任与支持。为了在{next_year}年更好地为您服务，"
                 "请花几分钟告诉我们贵单位明年的需求计划。",
        "projects": "我们为您服务的项目",
        "needs": "明年有哪些需求？（可多选）",
        "needs_other": "其他需求或具体说明（选填，最多 {limit} 字）",
        "budget": "预计预算",
        "timing": "预计什么时候开始？",
        "contact": "希望我们怎样与您联系？",
        "comments": "其他意见和建议（选填，最多 {limit} 字）",
        "not_sure": "暂不选择",
        "submit": "提交",
        "update": "保存修改",
        "editable": "截止到 {closes} 前，您可以随时打开此链接修改答复。",
        "saved_at": "您已于 {at} 提交过答复，可在下面修改。",
        "thanks_title": "谢谢您的答复",
        "thanks_body": "我们已收到您的需求计划，客服部会据此安排明年的服务。"
                       "截止到 {closes} 前，您仍可打开邮件中的链接修改。",
        "back": "查看或修改我的答复",
        "closed_title": "调查已结束",
        "closed_body": "{next_year}年需求调查已于 {closes} 截止，感谢您的关注。"
                       "如有需求，请直接联系客服部。",
        "expired_title": "链接已过期",
        "expired_body": "这个调查链接已过有效期。如有需求，请直接联系客服部。",
        "invalid_title": "链接无效",
        "invalid_body": "无法识别这个链接，请检查是否完整复制了邮件中的地址。",
        "csrf_title": "页面已过期",
        "csrf_body": "请返回并刷新页面后再提交。",
        "error": "请检查填写内容：",
        "bad_choice": "有一项选择无法识别，请重新选择。",
        "too_long": "{field}最多 {limit} 字，当前 {count} 字。",
        "field_needs_other": "其他需求",
        "field_comments": "意见和建议",
        "field_needs": "明年的需求",
        "closed_answers": "您于 {at} 保存的答复（只读）：",
        "closed_no_answer": "您没有通过此链接留下答复。",
    },
    "en": {
        "title": "Our {next_year} needs survey",
        "hello": "Dear {name},",
        "intro": "Thank you for the trust {customer} has placed in us this year. To serve you "
                 "better in {next_year}, please take a few minutes to tell us your plans.",
        "projects": "The projects we look after for you",
        "needs": "What will you need next year? (choose any)",
        "needs_other": "Other needs or details (optional, at most {limit} characters)",
        "budget": "Expected budget",
        "timing": "When do you expect to start?",
        "contact": "How would you like us to contact you?",
        "comments": "Any other comments (optional, at most {limit} characters)",
        "not_sure": "No answer",
        "submit": "Send",
        "update": "Save changes",
        "editable": "You can open this link and change your answers until {closes}.",
        "saved_at": "You answered on {at}; you can change your answers below.",
        "thanks_title": "Thank you",
        "thanks_body": "We have your plans and will prepare next year's service with them. "
                       "You can still change them from the link in the mail until {closes}.",
        "back": "See or change my answers",
        "closed_title": "The survey has closed",
        "closed_body": "Our {next_year} needs survey closed on {closes}. Thank you for your "
                       "interest; for any need, please contact customer service.",
        "expired_title": "This link has expired",
        "expired_body": "This survey link is no longer valid. Please contact customer service.",
        "invalid_title": "This link is not valid",
        "invalid_body": "The link was not recognised: please check that you copied the whole "
                        "address from the mail.",
        "csrf_title": "This page has expired",
        "csrf_body": "Please go back, reload the page and send again.",
        "error": "Please check your answers:",
        "bad_choice": "One of the choices was not recognised; please choose again.",
        "too_long": "{field} may have at most {limit} characters; it has {count}.",
        "field_needs_other": "Other needs",
        "field_comments": "Comments",
        "field_needs": "Next year's needs",
        "closed_answers": "Your answers, saved on {at} (read-only):",
        "closed_no_answer": "No answer was left through this link.",
    },
}


def survey_translator(locale: str):
    words = SURVEY_WORDS[locale]

    def st(key: str, **values: object) -> str:
        return words[key].format(**values) if values else words[key]

    return st
