"""The web app's words in zh_CN (first) and en, and how a page picks its language.

A page is in the language the visitor asked for (`?lang=`), else the recipient's stored
locale, else the configured default. Every string has both translations (a test checks it).
"""

from __future__ import annotations

LOCALES = ("zh_CN", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "zh_CN": {
        "html_lang": "zh-CN",
        "brand": "客服部",
        "opinion_title": "您对处理结果满意吗？",
        "opinion_intro": "您于 {received} 向我们反映的{kind}，我们的处理结果如下：",
        "you_said": "您反映的内容",
        "result": "处理结果",
        "satisfied": "满意",
        "not_satisfied": "不满意",
        "comment": "还有什么想告诉我们的吗？（选填，最多 {limit} 字）",
        "submit": "提交评价",
        "thanks_title": "谢谢您的评价",
        "thanks_satisfied": "很高兴问题得到解决。感谢您对我们工作的支持！",
        "thanks_not_satisfied": "很抱歉没能让您满意。客服部负责人会尽快与您联系，继续处理。",
        "already_title": "已收到您的评价",
        "already_body": "这次处理的评价已经提交过了，无需重复填写。"
        "如需再次反映，请直接联系客服部。",
        "expired_title": "链接已过期",
        "expired_body": "这个评价链接已过有效期。如需反映意见，请直接联系客服部。",
        "invalid_title": "链接无效",
        "invalid_body": "无法识别这个链接，请检查是否完整复制了邮件中的地址。",
        "csrf_title": "页面已过期",
        "csrf_body": "请返回并刷新页面后再提交。",
        "bad_title": "请检查填写内容",
        "choose": "请选择“满意”或“不满意”。",
        "too_long": "补充意见最多 {limit} 字，当前 {count} 字。",
        "other_language": "English",
        "kind_consultation": "咨询",
        "kind_suggestion": "建议",
        "kind_complaint": "投诉",
    },
    "en": {
        "html_lang": "en",
        "brand": "Customer service",
        "opinion_title": "Are you satisfied with the result?",
        "opinion_intro": "You contacted us on {received} with a {kind}. Here is our result:",
        "you_said": "What you told us",
        "result": "Result",
        "satisfied": "Satisfied",
        "not_satisfied": "Not satisfied",
        "comment": "Anything else you want to tell us? (optional, at most {limit} characters)",
        "submit": "Send",
        "thanks_title": "Thank you",
        "thanks_satisfied": "We are glad it is solved. Thank you for your support!",
        "thanks_not_satisfied": "We are sorry it did not satisfy you. The head of customer "
        "service will contact you soon and take it on.",
        "already_title": "Your opinion was received",
        "already_body": "An opinion of this result was already sent; there is no need to send "
        "it again. To raise something new, please contact customer service.",
        "expired_title": "This link has expired",
        "expired_body": "This opinion link is no longer valid. Please contact customer service.",
        "invalid_title": "This link is not valid",
        "invalid_body": "The link was not recognised: please check that you copied the whole "
        "address from the mail.",
        "csrf_title": "This page has expired",
        "csrf_body": "Please go back, reload the page and send again.",
        "bad_title": "Please check your answer",
        "choose": "Please choose “Satisfied” or “Not satisfied”.",
        "too_long": "The comment may have at most {limit} characters; it has {count}.",
        "other_language": "中文",
        "kind_consultation": "consultation",
        "kind_suggestion": "suggestion",
        "kind_complaint": "complaint",
    },
}


def pick_locale(asked: str | None, stored: str | None, default: str = "zh_CN") -> str:
    for candidate in (asked, stored, default):
        if candidate:
            normal = candidate.replace("-", "_")
            if normal in LOCALES:
                return normal
            if normal[:2] == "zh":
                return "zh_CN"
            if normal[:2] == "en":
                return "en"
    return "zh_CN"


def translator(locale: str):
    words = MESSAGES[locale]

    def t(key: str, **values: object) -> str:
        return words[key].format(**values) if values else words[key]

    return t
