"""Running the worker runtime in a test: a runner in the test's event loop, a probe worker, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import psycopg

from luneo.core.settings import WorkerSettings
from luneo.workers.base import Context, Worker
from luneo.workers.runner import Runner

CHANNEL = "luneo_test_probe"


def settings(**overrides: Any) -> WorkerSettings:
    """Fast settings for tests: any free port, no poll to speak of (passes come from wakes)."""
    values: dict[str, Any] = {
        "port": 0,
        "poll_interval": 60.0,
        "heartbeat_interval": 0.2,
        "shutdown_timeout": 10.0,
    }
    return WorkerSettings(**(values | overrides))


def make_runner(url: str, workers: list[Worker], **overrides: Any) -> Runner:
    return Runner(
        url,
        workers,
        settings(**overrides),
        install_signals=False,
        listen_keepalive=0.5,
        error_backoff=(0.05, 0.2),
    )


@asynccontextmanager
async def running(runner: Runner) -> AsyncIterator[asyncio.Task[None]]:
    """The runner started and listening; stopped (gracefully) and awaited after the block."""
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(30):
            started = asyncio.create_task(runner.started.wait())
            await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                started.cancel()
                task.result()  # it failed to start: raise why
            # notifications sent before the LISTEN are lost (by design: the pass after each
            # connection finds the work they announced), so tests notify only once it listens
            while runner.listener is not None and runner.listener.backend_pid is None:
                await asyncio.sleep(0.02)
        yield task
    finally:
        runner.request_stop()
        async with asyncio.timeout(30):
            await task


async def wait_for(condition: Callable[[], object], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def sql(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    """One statement as the superuser, on a connection of its own."""
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def notify(url: str, channel: str, payload: str) -> None:
    sql(url, "select pg_notify(%s, %s)", [channel, payload])


class Probe(Worker):
    """Counts its passes and notifications; `failures` passes raise first; `hold` makes a pass
    wait for `release`."""

    name: ClassVar[str] = "probe"
    channels: ClassVar[tuple[str, ...]] = (CHANNEL,)
    poll_interval: ClassVar[float] = 60.0

    def __init__(self, failures: int = 0) -> None:
        self.passes = 0
        self.failures = failures
        self.notes: list[tuple[str, str]] = []
        self.events: list[str] = []
        self.hold = False
        self.in_pass = asyncio.Event()
        self.release = asyncio.Event()

    async def start(self, ctx: Context) -> None:
        self.events.append("start")

    async def run_pass(self, ctx: Context) -> int:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("probe pass failed on purpose")
        self.passes += 1
        if self.hold:
            self.in_pass.set()
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.events.append("cancelled")
                raise
            self.events.append("job done")
        return 0

    async def drain(self, ctx: Context) -> None:
        self.events.append("drain")

    async def stop(self, ctx: Context) -> None:
        self.events.append("stop")

    async def queue_stats(self, ctx: Context) -> dict[str, tuple[int, float]]:
        return {"probe": (3, 1.5)}

    def on_notification(self, channel: str, payload: str) -> None:
        self.notes.append((channel, payload))
