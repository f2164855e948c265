"""The stripe worker: applies the events the receiver stored, and hosts the receiver and the
billing endpoints on the process's HTTP endpoint.

Each pass leases up to `batch` due events, oldest first, and applies them one by one in `lanes`
side by side (the events of one customer, or one product, always in the same lane, in order),
each in its own transaction (`private.apply_stripe_event`), which also records the outcome:
applied, ignored (with its reason), retry (failed; due again after a backoff) or failed (gave up;
visible with `luneo stripe status`, re-applied with `luneo stripe replay --failed`). All the logic is SQL;
this module only moves ids. A worker killed mid-pass leaves leased events that become due again
when the lease ends: the inbox loses nothing between storing and applying.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import ClassVar

from starlette.routing import BaseRoute

from luneo.core.db import Queries
from luneo.workers.base import Context, Worker, give_back, take_slots
from luneo.workers.stripe import receiver, sessions

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers.stripe")


class StripeWorker(Worker):
    name: ClassVar[str] = "stripe"
    channels: ClassVar[tuple[str, ...]] = ("luneo_stripe",)
    batch: ClassVar[int] = 200
    """Events leased by one pass; a pass that took some is followed by another at once."""
    lanes: ClassVar[int] = 3
    """Connections applying one pass's events side by side (each a lane of customers, in order)."""

    def __init__(self) -> None:
        self.waker: receiver.Waker | None = None
        self.inbox: receiver.Inbox | None = None
        self.billing: sessions.BillingEndpoints | None = None

    async def start(self, ctx: Context) -> None:
        self.waker = receiver.Waker(ctx.pool)
        self.inbox = receiver.Inbox(ctx.pool)
        self.billing = sessions.BillingEndpoints(ctx.pool, ctx.settings)

    def routes(self, ctx: Context) -> Sequence[BaseRoute]:
        assert self.waker is not None
        assert self.inbox is not None
        assert self.billing is not None
        return [*receiver.make_routes(self.inbox, ctx.settings.stripe, self.waker.poke), *self.billing.routes]

    async def run_pass(self, ctx: Context) -> int:
        slots = await take_slots(ctx, most=1)
        if not slots:  # SIGTERM came while this pass waited for a slot
            return 0
        try:
            return await self._apply_due(ctx)
        finally:
            give_back(ctx, slots)

    async def _apply_due(self, ctx: Context) -> int:
        async with ctx.pool.connection() as conn:
            claimed = await conn.execute(
                QUERIES["claim"],
                {
                    "worker_id": ctx.worker_id,
                    "max_events": self.batch,
                    "lease_seconds": max(1, round(ctx.settings.lease_seconds)),
                },
            )
        # one lane per customer (or product): its events in order, lanes side by side
        lanes: dict[int, list[str]] = defaultdict(list)
        for event_id, lane in claimed:
            lanes[zlib.crc32(lane.encode()) % self.lanes].append(event_id)
        outcomes: Counter[str] = Counter()
        await asyncio.gather(*(self._apply_lane(ctx, ids, outcomes) for ids in lanes.values()))
        for outcome, count in outcomes.items():
            ctx.metrics.jobs.labels(worker=self.name, outcome=outcome).inc(count)
        return len(claimed)

    async def _apply_lane(self, ctx: Context, event_ids: list[str], outcomes: Counter[str]) -> None:
        async with ctx.pool.connection() as conn:
            for event_id in event_ids:
                if ctx.stopping.is_set():  # the rest is released by `stop`
                    return
                outcome = await conn.scalar(
                    QUERIES["apply"], {"event_id": event_id, "worker_id": ctx.worker_id}
                )
                outcomes[outcome] += 1
                if outcome in ("retry", "failed"):
                    log.warning(
                        "Stripe event %s: %s",
                        event_id,
                        outcome,
                        extra={
                            "worker": self.name,
                            "action": "apply",
                            "event_id": event_id,
                            "outcome": outcome,
                        },
                    )

    async def stop(self, ctx: Context) -> None:
        if self.inbox is not None:
            await self.inbox.aclose()
        if self.waker is not None:
            await self.waker.aclose()
        if self.billing is not None:
            await self.billing.aclose()
            self.billing = None
        async with ctx.pool.connection() as conn:
            released = await conn.scalar(QUERIES["release"], {"worker_id": ctx.worker_id})
        if released:
            log.info(
                "released %s leased Stripe events", released, extra={"worker": self.name, "action": "release"}
            )

    async def queue_stats(self, ctx: Context) -> dict[str, tuple[int, float]]:
        async with ctx.pool.connection() as conn:
            row = await conn.one(QUERIES["queue_stats"])
        assert row is not None
        return {"stripe_events": (row[0], row[1])}
