"""What a worker is, and what the runner gives it: the contract between `luneo.workers.runner`
and every worker (maintenance, webhooks, ...).

A worker holds only its business logic. The runner owns the loop: it calls `start` once, then
`run_pass` whenever the worker is woken (a notification on one of its `channels`, a
(re)connection of the LISTEN connection) or `poll_interval` seconds passed, again at once while
a pass took jobs; on SIGTERM/SIGINT it sets `ctx.stopping`, awaits `drain`, then calls `stop`.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from starlette.routing import BaseRoute

from luneo.core.db import Pool
from luneo.core.settings import WorkerSettings
from luneo.workers.metrics import Metrics


@dataclass
class Context:
    """What every worker of one process shares."""

    pool: Pool
    worker_id: str
    """This process: `hostname:pid:<8 hex>`; also the holder name written into leases."""
    settings: WorkerSettings
    stopping: asyncio.Event
    """Set on SIGTERM/SIGINT: claim nothing more."""
    limiter: asyncio.Semaphore
    """`--concurrency`: jobs in flight in this process, shared by all workers."""
    metrics: Metrics


class Worker(abc.ABC):
    """One kind of work. Subclasses set `name` and implement `run_pass`."""

    name: ClassVar[str]
    """`maintenance`, `webhooks`, ...: the name `--only` selects and logs and metrics carry."""
    channels: ClassVar[tuple[str, ...]] = ()
    """LISTEN channels whose notifications wake this worker."""
    poll_interval: ClassVar[float] = 5.0
    """Seconds between passes when nothing wakes it (LUNEO_WORKER_POLL_INTERVAL caps it)."""

    async def start(self, ctx: Context) -> None:  # noqa: B027 - optional hook, no-op by default
        """Once, before the first pass (open clients, read configuration)."""

    @abc.abstractmethod
    async def run_pass(self, ctx: Context) -> int:
        """Claim and process what is due now; how many jobs it took (0: nothing was due).

        An exception is logged by the runner and the pass is tried again after a backoff."""

    async def drain(self, ctx: Context) -> None:  # noqa: B027 - optional hook, no-op by default
        """At shutdown, once passes stopped: wait for jobs this worker started in the background.
        Bounded by LUNEO_WORKER_SHUTDOWN_TIMEOUT (cancelled past it)."""

    async def stop(self, ctx: Context) -> None:  # noqa: B027 - optional hook, no-op by default
        """Last: release the leases this process still holds, close clients. Always called, a
        forced shutdown included; the pool is still open."""

    async def queue_stats(self, ctx: Context) -> dict[str, tuple[int, float]]:
        """Queue name -> (depth, age in seconds of the oldest pending item), for the metrics;
        refreshed every heartbeat."""
        return {}

    def routes(self, ctx: Context) -> Sequence[BaseRoute]:
        """HTTP routes this worker serves on the process's endpoint (next to /health), after
        `start`: the emails worker's unsubscribe links and providers' event webhooks."""
        return ()

    def on_notification(self, channel: str, payload: str) -> None:  # noqa: B027 - optional hook
        """Called for every notification on one of `channels`, before the worker is woken.
        Must be quick and never raise (it runs on the listener's task)."""


async def take_slots(ctx: Context, most: int = 100) -> int:
    """Slots of `--concurrency` for one claim: one (waiting for it while every slot is busy), then
    every other free one, up to `most`. 0 when SIGTERM/SIGINT came while it waited (nothing is
    held then). The caller gives back with `ctx.limiter.release()` each slot it does not use."""
    await ctx.limiter.acquire()
    if ctx.stopping.is_set():
        ctx.limiter.release()
        return 0
    slots = 1
    while not ctx.limiter.locked() and slots < most:
        await ctx.limiter.acquire()
        slots += 1
    return slots


def give_back(ctx: Context, slots: int) -> None:
    """Releases `slots` slots taken with `take_slots` (those a claim found no job for)."""
    for _ in range(slots):
        ctx.limiter.release()
