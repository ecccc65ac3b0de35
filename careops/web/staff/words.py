"""Words every staff page shares, zh_CN first and en (a test checks both have every key).

Each page keeps its own words in its module (`WORDS`) and reads them through `words_for`,
which falls back to these.
"""

from __future__ import annotations

from collections.abc import Callable

COMMON: dict[str, dict[str, str]] = {
    "zh_CN": {
        "invalid_title": "链接无效",
        "invalid_body": "无法识别这个链接，请检查是否完整复制了邮件中的地址。",
        "expired_title": "链接已过期",
        "expired_body": "这个链接已过有效期。请使用最近一封通知邮件中的链接。",
        "revoked_title": "链接已停用",
        "revoked_body": "您的个人链接已被停用。请使用之后收到的邮件中的新链接，或联系运维人员。",
        "csrf_title": "页面已过期",
        "csrf_body": "请返回并刷新页面后再提交。",
        "signed_in_as": "{name}（{code}）",
        "valid_until": "本链接有效至 {until}，仅限本人使用，请勿转发。",
        "saved": "已保存。",
        "submit": "保存",
        "note": "备注（选填，最多 {limit} 字）",
        "too_long": "{field}最多 {limit} 字，当前 {count} 字。",
        "other_language": "English",
    },
    "en": {
        "invalid_title": "This link is not valid",
        "invalid_body": "The link was not recognised: please check that you copied the whole "
        "address from the mail.",
        "expired_title": "This link has expired",
        "expired_body": "This link is no longer valid. Please use the link in your latest "
        "notice mail.",
        "revoked_title": "This link was revoked",
        "revoked_body": "Your personal links were revoked. Use the new link in a later mail, "
        "or ask ops.",
        "csrf_title": "This page has expired",
        "csrf_body": "Please go back, reload the page and send again.",
        "signed_in_as": "{name} ({code})",
        "valid_until": "This link works until {until}, for you only: please do not forward it.",
        "saved": "Saved.",
        "submit": "Save",
        "note": "Note (optional, at most {limit} characters)",
        "too_long": "{field} may have at most {limit} characters; it has {count}.",
        "other_language": "中文",
    },
}


def words_for(locale: str, own: dict[str, dict[str, str]] | None = None) -> Callable[..., str]:
    """A translator over a page's own words (`own[locale]`), then the common ones."""
    words = {**COMMON[locale], **((own or {}).get(locale, {}))}

    def w(key: str, **values: object) -> str:
        return words[key].format(**values) if values else words[key]

    return w
