"""The async pool and the LISTEN connection, against a real Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from luneo.core import db
from luneo.core.db import aio
from luneo.core.errors import ConnectionFailed


def sessions(db_url: str, application_name: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as admin:
        row = admin.execute(
            "select count(*) from pg_stat_activity where application_name = %s and datname = current_database()",
            [application_name],
        ).fetchone()
    assert row is not None
    return row[0]


async def test_the_pool_connects_only_once_opened(db_url: str) -> None:
    pool = db.Pool(db_url, min_size=2, max_size=3, application_name="luneo pool test")
    assert sessions(db_url, "luneo pool test") == 0
    await pool.open()
    try:
        assert sessions(db_url, "luneo pool test") == 2
        async with pool.connection() as conn:
            assert await conn.scalar("select %s::jsonb ->> 'k'", [{"k": "v"}]) == "v"
        assert pool.stats()["pool_size"] == 2
    finally:
        await pool.close()
    assert sessions(db_url, "luneo pool test") == 0


async def test_pool_errors_are_translated_and_the_connection_goes_back(db_url: str) -> None:
    async with db.Pool(db_url, min_size=1, max_size=1) as pool:
        with pytest.raises(db.QueryFailed) as info:
            async with pool.connection() as conn, conn.transaction():
                await conn.execute("select 1 / 0")
        assert info.value.sqlstate == "22012"
        async with pool.connection() as conn:  # the only connection is usable again
            assert await conn.scalar("select 2") == 2


async def test_a_connection_killed_while_idle_is_replaced_not_handed_out(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aio, "RECHECK_IDLE_AFTER", 0.2)
    async with db.Pool(db_url, min_size=1, max_size=1) as pool:
        async with pool.connection() as conn:
            killed = conn.backend_pid
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", [killed])
        await asyncio.sleep(0.3)  # idle past the window: checked on checkout, found dead, replaced
        async with pool.connection() as conn:
            assert await conn.scalar("select 2") == 2
            replacement = conn.backend_pid
        assert replacement != killed
        async with pool.connection() as conn:  # used a moment ago: handed out without a check
            assert conn.backend_pid == replacement


async def test_a_pool_that_cannot_connect_fails_with_one_line() -> None:
    pool = db.Pool("postgresql://luneo:s3cret@127.0.0.1:1/nowhere", min_size=1, max_size=1)
    with pytest.raises(
        ConnectionFailed, match=r"cannot connect to luneo@127.0.0.1:1/nowhere: no connection within"
    ):
        await pool.open(timeout=0.5)


@pytest.fixture
async def listening(
    db_url: str,
) -> AsyncIterator[tuple[db.Listener, asyncio.Queue[db.Notification], list[int]]]:
    """A listener on two channels (one needing quotes) feeding a queue; `connects` counts on_connect."""
    connects: list[int] = []

    async def on_connect() -> None:
        connects.append(listener.backend_pid or 0)

    listener = db.Listener(
        db_url, ["luneo_events", "Luneo Test"], on_connect=on_connect, keepalive=0.5, min_delay=0.05
    )
    queue: asyncio.Queue[db.Notification] = asyncio.Queue()

    async def pump() -> None:
        async for note in listener:
            await queue.put(note)

    task = asyncio.create_task(pump())
    await wait_for(lambda: len(connects) == 1)
    yield listener, queue, connects
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def wait_for(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def notify(db_url: str, channel: str, payload: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("select pg_notify(%s, %s)", [channel, payload])


async def test_listener_receives_notifications_on_each_channel(db_url: str, listening) -> None:
    _, queue, _ = listening
    notify(db_url, "luneo_events", "42")
    notify(db_url, "Luneo Test", "hello")
    first, second = await asyncio.wait_for(queue.get(), 5), await asyncio.wait_for(queue.get(), 5)
    assert (first.channel, first.payload) == ("luneo_events", "42")
    assert (second.channel, second.payload) == ("Luneo Test", "hello")


async def test_listener_reconnects_and_calls_on_connect_again(
    db_url: str,
    listening,
    caplog: pytest.LogCaptureFixture,
) -> None:
    listener, queue, connects = listening
    dropped = listener.backend_pid
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", [dropped])
    await wait_for(lambda: len(connects) == 2)
    assert listener.connections == 2
    assert connects[1] != dropped
    assert any(
        "listen connection lost" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records
    )
    notify(db_url, "luneo_events", "after")
    note = await asyncio.wait_for(queue.get(), 5)
    assert note.payload == "after"
