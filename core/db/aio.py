"""Asynchronous connections and the connection pool, for the workers."""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, LiteralString, Self

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from luneo.core.db.errors import translate
from luneo.core.db.sync import CONNECT_TIMEOUT, Params, Row, configure, connect_failure
from luneo.core.db.urls import describe_target
from luneo.core.errors import ConnectionFailed


class AsyncConnection:
    """The async twin of `luneo.core.db.Connection`."""

    def __init__(self, raw: psycopg.AsyncConnection[Any]) -> None:
        self._raw = raw

    async def execute(self, query: LiteralString, params: Params = None) -> list[Row]:
        try:
            cur = await self._raw.execute(query, params)
            return await cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise translate(exc) from exc

    async def one(self, query: LiteralString, params: Params = None) -> Row | None:
        rows = await self.execute(query, params)
        return rows[0] if rows else None

    async def scalar(self, query: LiteralString, params: Params = None) -> Any:
        row = await self.one(query, params)
        return row[0] if row else None

    @asynccontextmanager
    async def transaction(self, *, force_rollback: bool = False) -> AsyncIterator[None]:
        try:
            async with self._raw.transaction(force_rollback=force_rollback):
                yield
        except psycopg.Error as exc:
            raise translate(exc) from exc

    @property
    def backend_pid(self) -> int:
        return self._raw.info.backend_pid

    @property
    def closed(self) -> bool:
        return self._raw.closed

    async def close(self) -> None:
        await self._raw.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def connect_async(
    url: str, *, application_name: str = "luneo", autocommit: bool = True
) -> AsyncConnection:
    try:
        raw = await psycopg.AsyncConnection.connect(
            url, autocommit=autocommit, application_name=application_name, connect_timeout=CONNECT_TIMEOUT
        )
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:  # refused, or a malformed URL
        raise connect_failure(url, exc) from None
    configure(raw)
    return AsyncConnection(raw)


async def _configure(raw: psycopg.AsyncConnection[Any]) -> None:
    configure(raw)


RECHECK_IDLE_AFTER = 1.0
"""Seconds a pooled connection may sit unused before its next checkout checks it first (a round
trip): one given back a moment ago is handed out as it is, the workers' claim-send-record loop
would otherwise pay a round trip per query."""


class Pool:
    """An `AsyncConnectionPool` (autocommit connections, checked before use once idle for
    `RECHECK_IDLE_AFTER` seconds), opened explicitly:

    pool = Pool(url, min_size=1, max_size=4)
    await pool.open()            # or: async with pool: ...
    async with pool.connection() as conn:
        await conn.execute(...)
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        application_name: str = "luneo",
    ) -> None:
        self.url = url
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url,
            open=False,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={
                "autocommit": True,
                "application_name": application_name,
                "connect_timeout": CONNECT_TIMEOUT,
            },
            configure=_configure,
            check=self._check,
            name=application_name,
        )
        self._used_at: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    async def _check(self, raw: psycopg.AsyncConnection[Any]) -> None:
        used_at = self._used_at.get(raw)
        if used_at is None or time.monotonic() - used_at >= RECHECK_IDLE_AFTER:
            await AsyncConnectionPool.check_connection(raw)

    async def open(self, *, timeout: float = 30.0) -> None:
        """Open the pool and wait until `min_size` connections are ready."""
        try:
            await self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout:
            await self._pool.close()
            raise ConnectionFailed(
                f"cannot connect to {describe_target(self.url)}: no connection within {timeout:g}s"
            ) from None

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for the block; returned to the pool after it (rolled back if left open)."""
        try:
            async with self._pool.connection() as raw:
                try:
                    yield AsyncConnection(raw)
                finally:  # a broken one is not given back: the pool drops it
                    self._used_at[raw] = time.monotonic()
        except PoolTimeout:
            raise ConnectionFailed(f"no free connection to {describe_target(self.url)} in the pool") from None

    def stats(self) -> dict[str, int]:
        """Pool counters (pool_size, pool_available, requests_waiting, ...), for metrics."""
        return self._pool.get_stats()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
