"""The R3 HTTP client: one round of checks over many sites, asynchronously (aiohttp).

- A hard limit per request: `timeout_seconds` covers DNS, connect, TLS, headers and the body
  (aiohttp's total timeout, with `asyncio.timeout` around it as a backstop).
- Bounded concurrency: at most `concurrency` requests in flight (a semaphore).
- TLS verified against the system trust store plus `ca_file` (a company CA); the peer
  certificate's expiry is read from the verified connection.
- A fresh connection per site and round (no keep-alive across checks: every check measures
  connect and TLS like a visitor's first request); redirects followed (at most 5).
- The body is read up to `MAX_BODY` bytes for the keyword.

aiohttp rather than httpx: measured by benchmarks/site_checks.py on this machine (see README).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from careops.rules.site_conditions import Response

MAX_BODY = 1 << 20
USER_AGENT = "careops-holiday-watch/1.0"


@dataclass(frozen=True)
class Target:
    site_id: int
    url: str


def ssl_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The system trust store, plus `ca_file` when given."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


class _Connector(aiohttp.TCPConnector):
    """Records the verified peer certificate's expiry of every TLS connection it opens, by
    (host, port): a small response is read and its connection released before the caller
    could look at it. (`_create_connection` is aiohttp's connector hook, stable in 3.x.)"""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cert_expiry: dict[tuple[str | None, int | None], datetime] = {}

    async def _create_connection(self, req, traces, timeout):  # type: ignore[override]
        protocol = await super()._create_connection(req, traces, timeout)
        transport = protocol.transport
        cert = transport.get_extra_info("peercert") if transport is not None else None
        if cert and "notAfter" in cert:
            self.cert_expiry[(req.url.host, req.url.port)] = datetime.fromtimestamp(
                ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
        return protocol


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"no response within {timeout:g} s"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate not trusted: {exc.certificate_error}"[:300]
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS error: {exc}"[:300]
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "host name not found"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error)
        return f"cannot connect: {reason}"[:300]
    if isinstance(exc, aiohttp.TooManyRedirects):
        return "too many redirects"
    return f"{type(exc).__name__}: {exc}"[:300]


async def _check(session: aiohttp.ClientSession, connector: _Connector, target: Target,
                 timeout: float, gate: asyncio.Semaphore) -> Response:
    async with gate:
        start = time.perf_counter()
        try:
            async with asyncio.timeout(timeout + 1), session.get(
                target.url, max_redirects=5
            ) as resp:
                raw = await resp.content.read(MAX_BODY)
                expires = connector.cert_expiry.get((resp.url.host, resp.url.port))
                elapsed = int((time.perf_counter() - start) * 1000)
                body = raw.decode(resp.get_encoding() if resp.charset else "utf-8",
                                  errors="replace")
                return Response(resp.status, elapsed, body, expires)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            return Response(elapsed_ms=int((time.perf_counter() - start) * 1000),
                            error=_describe(exc, timeout))


async def check_all(
    targets: Sequence[Target], *, timeout: float, concurrency: int,
    ca_file: Path | None = None,
) -> dict[int, Response]:
    """Check every target once; {site_id: Response}. Never raises for a site's failure."""
    gate = asyncio.Semaphore(concurrency)
    connector = _Connector(
        ssl=ssl_context(ca_file), force_close=True, limit=concurrency, ttl_dns_cache=300)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=client_timeout, headers={"User-Agent": USER_AGENT},
        trust_env=False,
    ) as session:
        results = await asyncio.gather(*(_check(session, connector, t, timeout, gate)
                                         for t in targets))
    return {t.site_id: r for t, r in zip(targets, results, strict=True)}


def run_checks(targets: Sequence[Target], *, timeout: float, concurrency: int,
               ca_file: Path | None = None) -> dict[int, Response]:
    """Synchronous entry point (tasks, CLI): one event loop for the whole round."""
    return asyncio.run(check_all(targets, timeout=timeout, concurrency=concurrency,
                                 ca_file=ca_file))
