"""The LISTEN connection: one autocommit connection of its own, reconnected when it drops.

`pg_notify` is only a wake-up hint, never the payload: whoever listens must also look for
work when it starts and after every reconnect, since notifications sent while no connection
was listening are lost. `on_connect` is that hook; it runs once the channels are listened to,
so nothing sent after it is missed.

    listener = Listener(url, ["luneo_events"], on_connect=claim_pass)
    async for note in listener:          # runs until the task is cancelled
        ...
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from luneo.core.db.sync import CONNECT_TIMEOUT
from luneo.core.db.urls import describe_target, scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    channel: str
    payload: str
    pid: int
    """Backend pid of the session that sent it."""


class Listener:
    def __init__(
        self,
        url: str,
        channels: Sequence[str],
        *,
        on_connect: Callable[[], Awaitable[None]] | None = None,
        application_name: str = "luneo listen",
        keepalive: float = 30.0,
        min_delay: float = 0.5,
        max_delay: float = 30.0,
    ) -> None:
        """`keepalive`: seconds without a notification after which the connection is checked
        with a query, so a silently dead connection is found. Reconnects back off from
        `min_delay` to `max_delay` seconds."""
        if not channels:
            raise ValueError("a Listener needs at least one channel")
        self.url = url
        self.channels = list(channels)
        self.on_connect = on_connect
        self.application_name = application_name
        self.keepalive = keepalive
        self.min_delay, self.max_delay = min_delay, max_delay
        self.connections = 0
        """How many times a connection was established (1 + reconnects)."""
        self.backend_pid: int | None = None

    async def __aiter__(self) -> AsyncIterator[Notification]:
        delay = self.min_delay
        context = {
            "action": "listen",
            "channels": ",".join(self.channels),
            "target": describe_target(self.url),
        }
        while True:
            try:
                async with await self._connect() as conn:
                    delay = self.min_delay
                    log.info("listening on %s", context["channels"], extra=context)
                    if self.on_connect is not None:
                        await self.on_connect()
                    while True:
                        async for note in conn.notifies(timeout=self.keepalive):
                            yield Notification(note.channel, note.payload, note.pid)
                        await conn.execute("select 1")  # quiet for a while: is it still there?
            except psycopg.OperationalError as exc:
                reason = scrub(" ".join(str(exc).split()), self.url) or type(exc).__name__
                log.warning(
                    "listen connection lost (%s); reconnecting in %.1fs", reason, delay, extra=context
                )
            self.backend_pid = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, application_name=self.application_name, connect_timeout=CONNECT_TIMEOUT
        )
        try:
            for channel in self.channels:
                await conn.execute(sql.SQL("listen {}").format(sql.Identifier(channel)))
        except BaseException:
            await conn.close()
            raise
        self.connections += 1
        self.backend_pid = conn.info.backend_pid
        return conn
