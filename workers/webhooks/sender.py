"""Delivery over HTTP, to the addresses `ssrf.vet` checked and to no other.

The request keeps the URL's host name (so the Host header, TLS SNI and the certificate check
are all for that name) while the connection goes to a vetted address: the connection pool's
network backend never resolves a name, it dials the addresses of the `Target` being posted,
tried in order until one connects. A name therefore cannot rebind to an internal address
between the check and the connection.

Why not put the IP in the URL and pass `Host` and the `sni_hostname` extension instead: httpcore
keys its pool by the URL's origin only (`AsyncConnectionPool._assign_requests_to_connections`
matches `connection.can_handle_request(origin)`), so a TLS connection verified for one customer's
host would be reused for another host served from the same IP, unverified. With the name in
the URL the pool is keyed by name.

One `Sender` (one `httpx.AsyncClient`) per process. Redirects are never followed: a 3xx is
the receiver's answer, recorded like any other. A response body is read up to `MAX_BODY`
bytes, never more, whatever the receiver sends.
"""

from __future__ import annotations

import re
import select
import socket
import ssl
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import aclosing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

from luneo.workers.webhooks.signing import USER_AGENT
from luneo.workers.webhooks.ssrf import Target

MAX_BODY = 20 * 1024
"""Bytes of a response body kept (and read): enough for an error page or a JSON error."""
RETRY_AFTER_STATUSES = frozenset({429, 503})

_target: ContextVar[Target | None] = ContextVar("luneo_webhook_target", default=None)


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
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """`connect_timeout` applies to each vetted address tried. `ssl_context`: the default
        trusts certifi's CAs (not the environment's); tests pass their own."""
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout
        )
        self.limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive_connections
        )
        transport = _PinnedTransport(
            limits=self.limits, ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False)
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=self.timeout,
            follow_redirects=False,
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
        request = self._client.build_request("POST", target.url, content=body, headers=dict(headers))
        token = _target.set(target)
        started = time.perf_counter()
        try:
            response = await self._client.send(request, stream=True)
            try:
                content, truncated = await _read_capped(response)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise _delivery_error(exc, target) from exc
        finally:
            _target.reset(token)
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


# --- the pool that dials vetted addresses only -----------------------------------------------


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects a name to the addresses of the `Target` being posted, never through DNS.

    httpcore opens a connection inside the task whose request it serves, so the context
    variable `Sender.post` sets is the target of that very request."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        target = _target.get()
        if target is None or (host, port) != (target.host, target.port) or not target.addresses:
            raise httpcore.ConnectError("no vetted address for this host")
        failure: Exception | None = None
        for address in target.addresses:
            try:
                return _Stream(
                    await self._backend.connect_tcp(
                        str(address), port, timeout, local_address, socket_options
                    )
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """The backend's stream, answering `is_readable` from the socket it keeps: httpcore asks it
    of every idle connection before each request, and anyio rebuilds all the socket's
    attributes (a `getpeername` call among them) on every lookup, a tenth of the worker's time."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            # readable while idle: the server closed the connection (or sent something unasked)
            poller = select.poll()
            poller.register(self._socket, select.POLLIN)
            return bool(poller.poll(0))
        return self._stream.get_extra_info(info)


_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as the httpx ones a client's caller expects (cause kept)."""
    try:
        yield
    except Exception as exc:
        for core, mapped in _ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from exc
        raise


class _PinnedTransport(httpx.AsyncBaseTransport):
    """httpx's default transport, less proxies and retries, over a `_PinnedBackend` pool."""

    def __init__(self, *, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            with _as_httpx_errors():
                await self._stream.aclose()
