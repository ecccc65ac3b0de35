"""Row schemas of the ops tables (pydantic v2): one model per kind, one reason per bad cell.

Column names are case-insensitive; a blank cell is the same as a missing one (the default, or
"is required"). Columns (see also config/samples/README.md):

staff      code*, name*, department* (CS/TS/BIZ/OFFICE/GM/LEADERSHIP or 客服部/技术服务部/业务部/
           办公室/总经理/高层领导), role (member/head/supervisor/manager; default member),
           email*, phone, locale (zh_CN/en; default zh_CN), active (yes/no/true/false/1/0/是/否;
           default yes)
customers  code*, name*, tier (A/B/C; default B), contact_name*, contact_phone*, contact_email,
           address, no_calls (yes/no...; default no), locale (zh_CN/en; default zh_CN)
projects   code*, name*, customer_code*, delivered_on (empty: not delivered yet), retired_on,
           cs_owner_code, sales_code, manager_code, ts_contact_code (staff codes), website_url

Dates: 2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日, or an Excel date. Phones: a mainland
mobile (13812345678) or a landline with its area code (010-12345678, 0755-1234567), with an
optional +86 and any spaces or dashes; stored as 13812345678 / 010-12345678. No text may
contain a line break or another control character. delivered_on may not be after `today`
(passed as validation context) and retired_on may not be before delivered_on.
References (customer and staff codes) are checked against the database by
careops.services.operations.imports.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic import model_validator as _model_validator

from careops.addresses import InvalidAddress, check_address
from careops.db.models.common import Department, StaffRole

DEPARTMENT_NAMES = {"客服部": Department.CS, "技术服务部": Department.TS, "业务部": Department.BIZ,
                    "办公室": Department.OFFICE, "总经理": Department.GM,
                    "高层领导": Department.LEADERSHIP}
ROLE_NAMES = {"组员": StaffRole.MEMBER, "员工": StaffRole.MEMBER, "负责人": StaffRole.HEAD,
              "部长": StaffRole.HEAD, "主管": StaffRole.SUPERVISOR, "经理": StaffRole.MANAGER}
TRUE_WORDS = {"yes", "y", "true", "t", "1", "是", "对"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "否", "不"}

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0(?:10|2\d)|0[3-9]\d{2})(\d{7,8})$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ]\d.*)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def _text(max_length: int):
    def check(value: Any) -> str:
        text = str(value).strip()
        bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
        if bad is not None:
            kind = "a line break" if bad in "\r\n\u2028\u2029\x85" else "a control character"
            raise ValueError(f"contains {kind} ({bad!r})")
        if len(text) > max_length:
            raise ValueError(f"is {len(text)} characters long (at most {max_length})")
        return text

    return BeforeValidator(check)


def _choice(words: dict[str, Any], label: str, allowed: str):
    def check(value: Any) -> Any:
        text = str(value).strip()
        found = words.get(text) or words.get(text.lower()) or words.get(text.upper())
        if found is None:
            raise ValueError(f"{text!r} is not a {label} ({allowed})")
        return found

    return BeforeValidator(check)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not yes/no (yes/no, true/false, 1/0, 是/否)")


def parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if text.isdigit() and 20000 <= int(text) <= 80000:  # an Excel serial day number
        return _EXCEL_EPOCH + timedelta(days=int(text))
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (like 2026-01-05 or 2026/1/5)") from None


def parse_email(value: Any) -> str:
    """A bare address checked by email-validator (careops.addresses); no DNS lookups."""
    try:
        return check_address(value)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None


def parse_phone(value: Any) -> str:
    """Normalise a mainland mobile or landline number (see the module docstring)."""
    text = str(value).strip()
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
        if not digits.startswith("0") and not _MOBILE.match(digits):
            digits = "0" + digits  # +86 10 1234 5678 is 010-12345678
    if _MOBILE.match(digits):
        return digits
    landline = _LANDLINE.match(digits)
    if landline:
        return f"{landline[1]}-{landline[2]}"
    raise ValueError(
        f"{text!r} is not a phone number (mobile like 13812345678 or landline like 010-12345678)"
    )


def parse_url(value: Any) -> str:
    text = str(value).strip()
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in text)
    ):
        raise ValueError(f"{text!r} is not a web address (like https://www.example.cn)")
    return text


# Before-validators run last-listed first: the text check (line breaks, length) comes first.
Code = Annotated[str, _text(40)]
Email = Annotated[str, BeforeValidator(parse_email), _text(254)]
Phone = Annotated[str, BeforeValidator(parse_phone), _text(30)]
Bool = Annotated[bool, BeforeValidator(parse_bool)]
Day = Annotated[date, BeforeValidator(parse_date)]
Url = Annotated[str, BeforeValidator(parse_url), _text(300)]
# Optional columns: a blank cell never reaches the validators (it is dropped, so the default
# applies), hence `str | None` inside the annotation rather than a union of two schemas.
OptCode = Annotated[str | None, _text(40)]
OptEmail = Annotated[str | None, BeforeValidator(parse_email), _text(254)]
OptPhone = Annotated[str | None, BeforeValidator(parse_phone), _text(30)]
OptDay = Annotated[date | None, BeforeValidator(parse_date)]
OptUrl = Annotated[str | None, BeforeValidator(parse_url), _text(300)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @_model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                str(k).strip().lower(): v
                for k, v in data.items()
                if v is not None and not (isinstance(v, str) and not v.strip())
            }
        return data


Locale = Annotated[
    str, _choice({"zh_CN": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "zh": "zh_CN",
                  "en": "en"}, "locale", "zh_CN/en")
]


class StaffRow(_Row):
    code: Code
    name: Annotated[str, _text(100)]
    department: Annotated[
        Department,
        _choice({**{d.value: d for d in Department}, **DEPARTMENT_NAMES}, "department",
                "/".join(Department) + " or " + "/".join(DEPARTMENT_NAMES)),
    ]
    role: Annotated[
        StaffRole,
        _choice({**{r.value: r for r in StaffRole}, **ROLE_NAMES}, "role",
                "member/head/supervisor/manager"),
    ] = StaffRole.MEMBER
    email: Email
    phone: OptPhone = None
    locale: Locale = "zh_CN"
    active: Bool = True


class CustomerRow(_Row):
    code: Code
    name: Annotated[str, _text(200)]
    tier: Annotated[str, _choice({"A": "A", "B": "B", "C": "C"}, "tier", "A/B/C")] = "B"
    contact_name: Annotated[str, _text(100)]
    contact_phone: Phone
    contact_email: OptEmail = None
    address: Annotated[str | None, _text(300)] = None
    no_calls: Bool = False
    locale: Locale = "zh_CN"  # the language of mails to the customer's contact


class ProjectRow(_Row):
    code: Code
    name: Annotated[str, _text(200)]
    customer_code: Code
    delivered_on: OptDay = None
    retired_on: OptDay = None
    cs_owner_code: OptCode = None
    sales_code: OptCode = None
    manager_code: OptCode = None
    ts_contact_code: OptCode = None
    website_url: OptUrl = None

    @_model_validator(mode="after")
    def _dates(self, info: ValidationInfo) -> ProjectRow:
        today = (info.context or {}).get("today")
        if today is not None and self.delivered_on is not None and self.delivered_on > today:
            raise ValueError(f"delivered_on {self.delivered_on} is in the future (today {today})")
        if self.retired_on and self.delivered_on and self.retired_on < self.delivered_on:
            raise ValueError(
                f"retired_on {self.retired_on} is before delivered_on {self.delivered_on}"
            )
        return self


ROW_MODELS: dict[str, type[_Row]] = {
    "staff": StaffRow, "customers": CustomerRow, "projects": ProjectRow,
}
Kind = Literal["staff", "customers", "projects"]

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name, field in model.model_fields.items() if field.is_required())
    for kind, model in ROW_MODELS.items()
}


def describe(error: ValidationError) -> str:
    """One readable reason for all the bad cells of a row: `email: 'x' is not an e-mail address`."""
    reasons = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"] if not isinstance(part, int))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        reasons.append(f"{field}: {message}" if field else message)
    return "; ".join(reasons)
