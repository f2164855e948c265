"""Writes delivery attempts in batches: one statement and one commit for every attempt that
finished while the previous batch was being written (group commit).

A lone attempt is written at once, so a quiet worker adds no delay; under load the batches grow
by themselves and the commits (each a WAL flush) stop costing one per delivery. An attempt
whose batch fails to be written is not lost: its delivery stays leased to this process, and
becomes due again when the lease ends (sent twice; receivers de-duplicate on `webhook-id`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from luneo.core.db import Pool, Queries

QUERIES = Queries.load("luneo.workers.webhooks")
MAX_BATCH = 500
"""Attempts written by one statement at most."""


class Recorder:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[str]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, attempt: dict[str, Any]) -> str:
        """Record one attempt (the arguments of `private.record_webhook_attempt`, as JSON values);
        its outcome once its batch is committed: succeeded, retry, dead, disabled or stale."""
        outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append((attempt, outcome))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="webhook attempts")
        return await outcome

    async def _write_all(self) -> None:
        batch: list[tuple[dict[str, Any], asyncio.Future[str]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    async with self.pool.connection() as conn:
                        rows = await conn.execute(
                            QUERIES["record_attempts"], {"attempts": json.dumps([a for a, _ in batch])}
                        )
                except Exception as exc:  # noqa: BLE001 - handed to each attempt's caller
                    for _, outcome in batch:
                        if not outcome.done():
                            outcome.set_exception(exc)
                    continue
                outcomes = {str(delivery_id): result for delivery_id, result in rows}
                for attempt, outcome in batch:
                    if not outcome.done():
                        outcome.set_result(outcomes.get(attempt["delivery_id"], "stale"))
        finally:
            self._writer = None
            for _, outcome in batch + self._waiting:  # cancelled while writing: nobody writes these
                if not outcome.done():
                    outcome.cancel()
            self._waiting = []

    async def wait_written(self) -> None:
        """Until every attempt handed over so far is written (or failed to be)."""
        while self._writer is not None:
            await asyncio.wait([self._writer])
