"""The httpx transport of `Sender`: keep-alive connections that dial vetted addresses only.

* **Pinned dialling.** A new connection goes to the addresses of the `Target` the request
  carries (the `TARGET` extension, which `Sender.post` sets), tried in order until one
  connects: no name is ever resolved here, so a name cannot rebind to an internal address
  between the check and the connection. TLS is then verified for the URL's host name.
* **The pool.** httpcore's `AsyncConnectionPool` rescans every queued request against every
  connection at each request's start and end, and may hand one idle connection to two waiting
  requests, one of which then retries (`ConnectionNotAvailable`): at 16 posts in flight that
  took most of the worker's time and put 100 ms into its p99. `ConnectionPool` keeps httpcore's
  HTTP/1.1 connections (`AsyncHTTP11Connection`: h11, keep-alive, expiry) and does only the
  bookkeeping: a request takes the newest idle connection to its origin (scheme, host, port),
  or opens one; it puts it back when its response is closed. The limits are httpx's: at most
  `max_connections` open, busy or idle (a request waits for one up to the pool timeout, first
  come first served), at most `max_keepalive_connections` idle (the oldest closed first), none
  reused past `keepalive_expiry` or once the server closed it.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from luneo.workers.webhooks.ssrf import Target

TARGET = "luneo.target"
"""The request extension naming the vetted `Target` a request's connection may dial."""


async def _dial(
    backend: httpcore.AsyncNetworkBackend, target: Target, timeout: float | None
) -> httpcore.AsyncNetworkStream:
    """A TCP connection to the first of `target`'s vetted addresses that accepts one."""
    failure: Exception = httpcore.ConnectError("no vetted address for this host")
    for address in target.addresses:
        try:
            return _Stream(await backend.connect_tcp(str(address), target.port, timeout))
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            failure = exc
    raise failure


class _Stream(httpcore.AsyncNetworkStream):
    """The backend's stream, answering `is_readable` from the socket it keeps: httpcore asks it
    of an idle connection before reusing it, and anyio rebuilds all the socket's attributes (a
    `getpeername` call among them) on every lookup."""

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


Connection = httpcore.AsyncHTTP11Connection


class ConnectionPool:
    """HTTP/1.1 connections by origin, each serving one request at a time."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_connections: int,
        max_keepalive_connections: int,
        keepalive_expiry: float | None,
        network_backend: httpcore.AsyncNetworkBackend,
    ) -> None:
        self._ssl_context = ssl_context
        self._ssl_context.set_alpn_protocols(["http/1.1"])
        self._max_keepalive = max_keepalive_connections
        self._keepalive_expiry = keepalive_expiry
        self._backend = network_backend
        self._max_connections = max_connections
        self._open = 0
        """Connections open or opening, busy or idle."""
        self._waiters: deque[asyncio.Future[None]] = deque()
        """Requests waiting for room, first come first served."""
        self._idle: list[Connection] = []
        """Oldest put back first."""
        self._closed = False

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if self._closed:
            raise httpcore.ConnectError("the sender is closed")
        connection = await self._connection_for(request)
        try:
            response = await connection.handle_async_request(request)
        except BaseException:
            await self._put_back(connection)
            raise
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_Release(response.stream, lambda: self._put_back(connection)),
            extensions=response.extensions,
        )

    async def _connection_for(self, request: httpcore.Request) -> Connection:
        """The newest idle connection to the request's origin, else a new one; waits (up to the
        pool timeout) while `max_connections` are busy."""
        origin = request.url.origin
        target: Target | None = request.extensions.get(TARGET)
        timeouts = request.extensions.get("timeout", {})
        pool_timeout = timeouts.get("pool")
        deadline = None if pool_timeout is None else asyncio.get_running_loop().time() + pool_timeout
        while self._idle and self._idle[0].has_expired():  # the oldest first, whatever its origin
            await self._discard(self._idle.pop(0))
        while True:
            while connection := self._newest_idle(origin):
                if not connection.has_expired():  # expired, or closed by the server while idle
                    return connection
                await self._discard(connection)
            if self._open < self._max_connections or self._idle:
                break
            await self._wait_for_room(deadline)
        if target is None or (origin.host.decode("ascii"), origin.port) != (target.host, target.port):
            raise httpcore.ConnectError("no vetted address for this host")
        # at the limit, the oldest idle connection (to another origin) gives its place up
        surplus = self._idle.pop(0) if self._open >= self._max_connections else None
        if surplus is None:
            self._open += 1
        try:
            if surplus is not None:
                await surplus.aclose()
            stream = await _dial(self._backend, target, timeouts.get("connect"))
            if origin.scheme == b"https":
                stream = await stream.start_tls(
                    self._ssl_context, server_hostname=target.host, timeout=timeouts.get("connect")
                )
        except BaseException:
            self._closed_one()
            raise
        return Connection(origin, stream, self._keepalive_expiry)

    async def _wait_for_room(self, deadline: float | None) -> None:
        """Until a connection is put back or closed (then look again), or the deadline."""
        room = asyncio.get_running_loop().create_future()
        self._waiters.append(room)
        try:
            async with asyncio.timeout_at(deadline):
                await room
        except TimeoutError:
            raise httpcore.PoolTimeout("no connection became free in time") from None
        finally:
            if room in self._waiters:
                self._waiters.remove(room)
            elif not room.cancelled():  # woken, but leaving anyway: wake the next one instead
                self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            room = self._waiters.popleft()
            if not room.done():
                room.set_result(None)
                return

    def _newest_idle(self, origin: httpcore.Origin) -> Connection | None:
        for index in range(len(self._idle) - 1, -1, -1):
            if self._idle[index].can_handle_request(origin):
                return self._idle.pop(index)
        return None

    async def _put_back(self, connection: Connection) -> None:
        """After its request: idle for the next one, or closed (broken, surplus, or the pool is)."""
        if self._closed or not connection.is_idle():
            await self._discard(connection)
            return
        self._idle.append(connection)
        self._wake_one()
        if len(self._idle) > self._max_keepalive:
            await self._discard(self._idle.pop(0))

    async def _discard(self, connection: Connection) -> None:
        try:
            await connection.aclose()
        finally:
            self._closed_one()

    def _closed_one(self) -> None:
        self._open -= 1
        self._wake_one()

    async def aclose(self) -> None:
        """Closes the idle connections now, the busy ones as their responses end."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await self._discard(connection)


class _Release:
    """A response stream that hands its connection back once, when closed."""

    def __init__(self, stream: Any, release: Any) -> None:
        self._stream = stream
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        release, self._release = self._release, None
        try:
            if hasattr(self._stream, "aclose"):
                await self._stream.aclose()
        finally:
            if release is not None:
                await release()


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


class PinnedTransport(httpx.AsyncBaseTransport):
    """httpx's default transport, less proxies and retries, over a `ConnectionPool` whose
    connections dial vetted addresses only."""

    def __init__(self, *, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        assert limits.max_connections is not None
        assert limits.max_keepalive_connections is not None
        self.pool = ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=httpcore.AnyIOBackend(),
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
            response = await self.pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()


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
