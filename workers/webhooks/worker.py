"""The webhooks worker: claims due deliveries, signs and posts them, records each attempt.

What happens after an attempt (retry schedule, dead deliveries, disabling an endpoint) is decided
in SQL by `private.record_webhook_attempt`, which `Recorder` calls in batches; this module only
moves bytes. Each delivery holds one slot of the process's `--concurrency` while it is sent and
recorded, so a slow receiver slows only its own deliveries. Claims take as many deliveries as
there are free slots, with a lease: a process that dies mid-delivery leaves deliveries that
become due again when their lease ends. On shutdown, deliveries in flight finish (`drain`) or,
past the timeout, are released at once (`stop`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from typing import Any, ClassVar

from luneo.core.db import Queries
from luneo.workers.base import Context, Worker, give_back, take_slots
from luneo.workers.webhooks.recorder import Recorder
from luneo.workers.webhooks.sender import DeliveryError, Response, Sender
from luneo.workers.webhooks.signing import headers
from luneo.workers.webhooks.ssrf import Refused, VettedTargets

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers.webhooks")


def message_id(delivery_id: uuid.UUID) -> str:
    """The `webhook-id` header: the same on every attempt and replay of one delivery."""
    return f"msg_{delivery_id.hex}"


class WebhooksWorker(Worker):
    name: ClassVar[str] = "webhooks"
    channels: ClassVar[tuple[str, ...]] = ("luneo_webhooks",)

    def __init__(self) -> None:
        self.sender: Sender | None = None
        self.recorder: Recorder | None = None
        self.targets: VettedTargets | None = None
        self.in_flight: set[asyncio.Task[None]] = set()
        self.ahead: deque[tuple[float, Any]] = deque()
        """Deliveries claimed (leased) but not started yet, with the time of their claim."""

    async def start(self, ctx: Context) -> None:
        self.sender = Sender()
        self.recorder = Recorder(ctx.pool)
        self.targets = VettedTargets(allow_http_loopback=ctx.settings.webhooks_allow_http_loopback)

    async def run_pass(self, ctx: Context) -> int:
        """Starts a delivery in every free slot, the ones claimed ahead first, and claims enough
        to keep `--concurrency` more ahead: a slot that frees up is refilled at the next pass,
        without waiting for a claim's round trip."""
        slots = await take_slots(ctx)
        if not slots:  # SIGTERM came while this pass waited for a slot
            return 0
        started = 0
        try:
            await self._release_stale(ctx)
            while started < slots and self.ahead:
                self._start(ctx, self.ahead.popleft()[1])
                started += 1
            from_ahead = started
            wanted = slots - started + ctx.settings.concurrency - len(self.ahead)
            claimed = await self._claim(ctx, wanted) if wanted else []
        except BaseException:
            give_back(ctx, slots - started)
            raise
        now = time.monotonic()
        for row in claimed:
            if started < slots:
                self._start(ctx, row)
                started += 1
            else:
                self.ahead.append((now, row))
        give_back(ctx, slots - started)
        return from_ahead + len(claimed)

    async def _claim(self, ctx: Context, wanted: int) -> list[Any]:
        async with ctx.pool.connection() as conn:
            return await conn.execute(
                QUERIES["claim"],
                {
                    "worker_id": ctx.worker_id,
                    "max_deliveries": wanted,
                    "lease_seconds": max(1, round(ctx.settings.lease_seconds)),
                },
            )

    async def _release_stale(self, ctx: Context) -> None:
        """Gives back the deliveries that waited ahead for half their lease (every slot busy on
        slow receivers), before the lease ends and another process sends them too."""
        if not self.ahead or time.monotonic() - self.ahead[0][0] < ctx.settings.lease_seconds / 2:
            return
        stale = [row[0] for _, row in self.ahead]
        self.ahead.clear()
        async with ctx.pool.connection() as conn:
            await conn.scalar(QUERIES["release"], {"worker_id": ctx.worker_id, "delivery_ids": stale})

    def _start(self, ctx: Context, row: Any) -> None:
        task = asyncio.create_task(self._deliver(ctx, row), name=f"webhook {row[0]}")
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _deliver(self, ctx: Context, row: Any) -> None:
        delivery_id, attempt, url, secrets, payload = row
        context = {
            "worker": self.name,
            "action": "deliver",
            "delivery_id": str(delivery_id),
            "attempt": attempt,
        }
        started = time.perf_counter()
        status_code: int | None = None
        response_body: str | None = None
        retry_after: float | None = None
        error: str | None = None
        try:
            body = payload.encode()
            assert self.sender is not None
            assert self.targets is not None
            target = await self.targets.get(url)
            response: Response = await self.sender.post(
                target, body, headers(message_id(delivery_id), int(time.time()), body, secrets)
            )
            status_code, response_body = response.status_code, response.body
            retry_after = response.retry_after_seconds
        except Refused as exc:
            error = f"refused by the SSRF guard ({exc.reason}): {exc}"
        except DeliveryError as exc:
            error = f"{exc.kind}: {exc}"
        except ValueError as exc:  # no valid signing secret, a malformed one
            error = f"cannot sign: {exc}"
        except Exception as exc:  # anything else is this attempt's failure, never the slot's loss
            log.exception("delivery failed unexpectedly", extra=context)
            error = f"unexpected error: {type(exc).__name__}"
        finally:  # the slot is the post; the attempt is written in a batch after it
            ctx.limiter.release()
        duration = time.perf_counter() - started
        try:
            assert self.recorder is not None
            outcome = await self.recorder.record(
                {
                    "delivery_id": str(delivery_id),
                    "worker_id": ctx.worker_id,
                    "attempt": attempt,
                    "status_code": status_code,
                    "response_body": response_body,
                    "duration_ms": round(duration * 1000),
                    "error": error,
                    "retry_after_seconds": None
                    if retry_after is None
                    else min(round(retry_after), 2**31 - 1),
                }
            )
        except Exception:  # the lease runs out and the delivery is sent again
            log.exception("could not record the attempt; it will be retried after its lease", extra=context)
            outcome = "unrecorded"
        ctx.metrics.jobs.labels(worker=self.name, outcome=outcome).inc()
        ctx.metrics.job_duration.labels(worker=self.name).observe(duration)
        # a success is in webhook_history and the metrics: logged at debug, one line a delivery
        log.log(
            logging.DEBUG if outcome == "succeeded" else logging.INFO,
            "delivery %s attempt %s: %s (%s)",
            delivery_id,
            attempt,
            outcome,
            status_code if status_code is not None else error,
            extra={**context, "outcome": outcome, "status_code": status_code},
        )

    async def drain(self, ctx: Context) -> None:
        while self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)

    async def stop(self, ctx: Context) -> None:
        self.ahead.clear()  # leased: released below with the rest
        for task in list(self.in_flight):
            task.cancel()
        await asyncio.gather(*self.in_flight, return_exceptions=True)
        if self.recorder is not None:  # attempts already sent are written, not sent again
            await self.recorder.wait_written()
        async with ctx.pool.connection() as conn:
            released = await conn.scalar(
                QUERIES["release"], {"worker_id": ctx.worker_id, "delivery_ids": None}
            )
        if released:
            log.info(
                "released %s leased deliveries", released, extra={"worker": self.name, "action": "release"}
            )
        if self.sender is not None:
            await self.sender.aclose()
            self.sender = None

    async def queue_stats(self, ctx: Context) -> dict[str, tuple[int, float]]:
        async with ctx.pool.connection() as conn:
            row = await conn.one(QUERIES["queue_stats"])
        assert row is not None
        return {"webhook_deliveries": (row[0], row[1])}
