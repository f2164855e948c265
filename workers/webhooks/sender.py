"""Delivery over HTTP, to the addresses `ssrf.vet` checked and to no other.

The request keeps the URL's host name (so the Host header, TLS SNI and the certificate check
are all for that name) while the connection goes to a vetted address: the transport
(`transport.PinnedTransport`) never resolves a name, it dials the addresses of the `Target`
being posted, tried in order until one connects. A name therefore cannot rebind to an internal
address between the check and the connection.

Why not put the IP in the URL and pass `Host` and the `sni_hostname` extension instead: a pool
keys its connections by the URL's origin (scheme, host, port), so a TLS connection verified for
one customer's host would be reused for another host served from the same IP, unverified. With
the name in the URL the pool is keyed by name.

One `Sender` (one `httpx.AsyncClient`) per process. Redirects are never followed: a 3xx is
the receiver's answer, recorded like any other. No cookie is kept. A response body is read up
to `MAX_BODY` bytes, never more, whatever the receiver sends.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from types import TracebackType
from typing import Any, Self

import httpx

from luneo.workers.webhooks.signing import USER_AGENT
from luneo.workers.webhooks.ssrf import Target
from luneo.workers.webhooks.transport import TARGET, PinnedTransport

MAX_BODY = 20 * 1024
"""Bytes of a response body kept (and read): enough for an error page or a JSON error."""
RETRY_AFTER_STATUSES = frozenset({429, 503})


class DeliveryError(Exception):
    """No HTTP response. `kind`: `timeout`, `connect` (nothing accepted the connection), `tls`
    (handshake or certificate) or `protocol` (the connection broke or spoke no valid HTTP).
    The message names the target as scheme://host:port and never holds a header or the body."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Response:
    status_code: int
    body: str
    """The first `MAX_BODY` bytes, decoded as UTF-8 (undecodable bytes replaced)."""
    duration_ms: float
    """From sending the request to the end of the (capped) body."""
    retry_after_seconds: float | None
    """`Retry-After` of a 429 or 503 (delta-seconds or HTTP-date); None otherwise."""
    truncated: bool = False


class Sender:
    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        write_timeout: float = 15.0,
        pool_timeout: float = 5.0,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`connect_timeout` applies to each vetted address tried. `ssl_context`: the default
        trusts certifi's CAs (not the environment's); tests pass their own."""
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout
        )
        self.limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
        )
        transport = PinnedTransport(
            limits=self.limits, ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False)
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=self.timeout,
            follow_redirects=False,
            cookies=_NoCookies(),  # a receiver's Set-Cookie must not ride along on later deliveries
            trust_env=False,  # no proxy, CA bundle or .netrc from the environment
            # identity: a compressed body would be read raw; a decompressed one could be huge
            headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, target: Target, body: bytes, headers: Mapping[str, str]) -> Response:
        """POST `body` to `target`; any HTTP status is a `Response`, no response a `DeliveryError`."""
        request = self._client.build_request(
            "POST", target.url, content=body, headers=dict(headers), extensions={TARGET: target}
        )
        started = time.perf_counter()
        try:
            response = await self._client.send(request, stream=True)
            try:
                content, truncated = await _read_capped(response)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise _delivery_error(exc, target) from exc
        retry_after = None
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        return Response(
            status_code=response.status_code,
            body=content.decode("utf-8", errors="replace"),
            duration_ms=(time.perf_counter() - started) * 1000,
            retry_after_seconds=retry_after,
            truncated=truncated,
        )


class _NoCookies(CookieJar):
    """Keeps no cookie: every delivery is sent as if it were the first, whoever set what."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return

    def set_cookie(self, cookie: Any) -> None:
        return


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP-date (a date in the
    past is 0). None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+", value, re.ASCII):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, source unknown
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    """At most `MAX_BODY` bytes, stopping as soon as more arrived (one network read beyond)."""
    chunks: list[bytes] = []
    size = 0
    async with aclosing(response.aiter_raw()) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                break
    return b"".join(chunks)[:MAX_BODY], size > MAX_BODY


def _delivery_error(exc: httpx.TransportError, target: Target) -> DeliveryError:
    # httpcore reports a failed handshake as a ConnectError raised from the ssl.SSLError
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    innermost = chain[-1]
    tls = any(isinstance(c, ssl.SSLError) for c in chain)
    if tls:
        kind = "tls"
    elif isinstance(exc, httpx.TimeoutException):
        kind = "timeout"
    elif isinstance(exc, httpx.ConnectError):
        kind = "connect"
    else:
        kind = "protocol"
    detail = " ".join(str(innermost).split())[:200] or type(innermost).__name__
    return DeliveryError(kind, f"{target.describe()}: {kind} error ({detail})")
