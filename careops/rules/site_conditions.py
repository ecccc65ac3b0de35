"""R3 check conditions of one site, as pure rules: what a response must look like to count as up.

A check is up when it connected (TLS verified for https), the status is one of the expected
ones (default: any 2xx), the body contains the keyword (when one is set), the response came
within the site's maximum response time (default: the request timeout), and the certificate
does not expire within the round (it is valid now). Expiry *soon* is no failure during the
watch; the readiness check reports it ahead (`cert_expires_before`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Conditions:
    expected_status: tuple[int, ...] = ()  # empty: any 2xx
    keyword: str | None = None
    max_response_ms: int | None = None

    @classmethod
    def parse(cls, expected_status: str | None, keyword: str | None,
              max_response_ms: int | None) -> Conditions:
        codes = tuple(int(c) for c in expected_status.split(",")) if expected_status else ()
        return cls(codes, keyword or None, max_response_ms)


@dataclass(frozen=True)
class Response:
    """What the client saw; `error` set when there was no HTTP response at all."""

    status: int | None = None
    elapsed_ms: int | None = None
    body: str = ""
    cert_expires_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None  # the first condition that failed, in words


def judge(response: Response, conditions: Conditions, now: datetime) -> Verdict:
    if response.error is not None:
        return Verdict(False, response.error)
    status = response.status
    if conditions.expected_status:
        if status not in conditions.expected_status:
            wanted = "/".join(str(c) for c in conditions.expected_status)
            return Verdict(False, f"HTTP {status}, expected {wanted}")
    elif status is None or not 200 <= status < 300:
        return Verdict(False, f"HTTP {status}")
    if conditions.keyword and conditions.keyword not in response.body:
        return Verdict(False, f"keyword {conditions.keyword!r} not in the page")
    limit = conditions.max_response_ms
    if limit is not None and response.elapsed_ms is not None and response.elapsed_ms > limit:
        return Verdict(False, f"response took {response.elapsed_ms} ms (max {limit} ms)")
    if response.cert_expires_at is not None and response.cert_expires_at <= now:
        return Verdict(False, f"TLS certificate expired {response.cert_expires_at:%Y-%m-%d}")
    return Verdict(True, None)


def cert_expires_before(expires_at: datetime | None, deadline: datetime) -> bool:
    return expires_at is not None and expires_at < deadline
