"""The maintenance worker: what pg_cron would do on Supabase, here for any Postgres.

- Counts the calls of read-only API-key requests: `private.check_api_key()` cannot write in a
  read-only transaction, so it sends `NOTIFY luneo_api_key_usage, '<api key id>'`; this worker
  adds the notifications up per key in memory and each pass records them with
  `private.record_api_key_usage(api_key_id, calls)`. Counts that could not be recorded are kept
  for the next pass (and the last flush at stop), so none is lost while the process lives.
  Every listening process receives every notification, so only one records them: the oldest
  live process running maintenance (`private.oldest_live_worker`, from the heartbeats); the
  others drop what they counted.
- Runs the periodic tasks of `TASKS`, each on its own interval: SQL functions that do the work
  (the logic stays in SQL), each in a transaction under an advisory lock, so that with several
  processes one runs a task at a time and the others skip it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, LiteralString

from luneo.core.db import Queries, QueryFailed, scrub
from luneo.core.errors import LuneoError
from luneo.workers.base import Context, Worker

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers")
NAME = "maintenance"
USAGE_CHANNEL = "luneo_api_key_usage"
FOREIGN_KEY_VIOLATION = "23503"
ALIVE_HEARTBEATS = 3
"""A process counts as alive while its last heartbeat is younger than this many intervals."""
RETRY_FAILED_TASK_AFTER = 60.0
"""Seconds before a task that failed is tried again (at most its interval)."""


@dataclass(frozen=True)
class Task:
    """A periodic maintenance task: the named query `query` every `every` seconds."""

    name: str
    every: float
    query: LiteralString
    params: Mapping[str, Any] = field(default_factory=dict)
    done: str = "row(s)"
    """What the count the function returns is, for the log line."""


TASKS: tuple[Task, ...] = (
    Task("expire_invitations", 60.0, QUERIES["expire_invitations"], done="invitation(s) marked expired"),
    Task("mark_inactive_offline", 60.0, QUERIES["mark_inactive_offline"], done="user(s) marked offline"),
    Task("prune_revoked_sessions", 3600.0, QUERIES["prune_revoked_sessions"], done="revocation(s) pruned"),
    Task(
        "prune_worker_heartbeats",
        600.0,
        QUERIES["prune_worker_heartbeats"],
        {"older_than": 3600.0},
        done="stale heartbeat row(s) pruned",
    ),
    # events and finished webhook deliveries past their 30 days (docs/events.md), in batches:
    # pending deliveries are never pruned. Leases need no task: a delivery's lease is its
    # next_attempt_at, so one whose worker died is due again by itself.
    Task(
        "prune_events",
        60.0,
        QUERIES["prune_events"],
        {"keep_days": 30, "batch": 5000},
        done="event(s) and finished deliveries pruned",
    ),
    # settled emails past their 30 days (their data names people), unsubscribe tokens past a year
    Task(
        "prune_emails",
        60.0,
        QUERIES["prune_emails"],
        {"keep_days": 30, "batch": 5000},
        done="settled email(s) and old unsubscribe token(s) pruned",
    ),
    # Later tasks go here, one line each, their SQL function in supabase/functions/<feature>/ and
    # their query in maintenance.sql.
)


class Maintenance(Worker):
    name: ClassVar[str] = NAME
    channels: ClassVar[tuple[str, ...]] = (USAGE_CHANNEL,)
    poll_interval: ClassVar[float] = 5.0

    def __init__(self, tasks: tuple[Task, ...] = TASKS) -> None:
        self.tasks = tasks
        self._due: dict[str, float] = {task.name: 0.0 for task in tasks}  # monotonic; 0: at the first pass
        self._usage: dict[uuid.UUID, int] = {}
        self._usage_since: float | None = None
        """Monotonic time of the oldest count not yet recorded."""

    # -- API key usage ------------------------------------------------------------------------

    def on_notification(self, channel: str, payload: str) -> None:
        if channel != USAGE_CHANNEL:
            return
        try:
            key = uuid.UUID(payload.strip())
        except ValueError:
            log.warning(
                "ignoring a %s notification whose payload is not an API key id: %r",
                channel,
                payload[:80],
                extra={"worker": NAME, "action": "count_api_key_usage"},
            )
            return
        self._usage[key] = self._usage.get(key, 0) + 1
        if self._usage_since is None:
            self._usage_since = time.monotonic()

    @property
    def pending_usage(self) -> dict[uuid.UUID, int]:
        """Calls counted and not yet recorded, per API key id."""
        return dict(self._usage)

    async def flush_usage(self, ctx: Context) -> int:
        """Record the counted calls; how many. What fails stays counted for the next flush."""
        if not self._usage:
            return 0
        pending, self._usage = self._usage, {}
        since, self._usage_since = self._usage_since, None
        recorded = 0
        started = time.perf_counter()
        try:
            async with ctx.pool.connection() as conn:
                alive = ALIVE_HEARTBEATS * ctx.settings.heartbeat_interval
                counter = await conn.scalar(QUERIES["usage_counter"], {"alive": alive})
                if counter != ctx.worker_id:  # another process records these same notifications
                    dropped = sum(pending.values())
                    pending.clear()
                    log.debug(
                        "%d API key call(s) left to %s, the process that counts them",
                        dropped,
                        counter,
                        extra={"worker": NAME, "action": "count_api_key_usage", "counter": counter},
                    )
                    return 0
                for key, calls in list(pending.items()):
                    try:
                        params = {"api_key_id": key, "calls": calls}
                        await conn.execute(QUERIES["record_api_key_usage"], params)
                    except QueryFailed as exc:
                        if exc.sqlstate != FOREIGN_KEY_VIOLATION:
                            raise
                        log.info(
                            "API key %s was deleted: %d call(s) not counted",
                            key,
                            calls,
                            extra={"worker": NAME, "action": "count_api_key_usage", "api_key_id": str(key)},
                        )
                    else:
                        recorded += calls
                    del pending[key]
        except BaseException:
            ctx.metrics.jobs.labels(worker=NAME, outcome="failed").inc()
            raise
        finally:
            for key, calls in pending.items():  # not recorded: counted again, nothing lost
                self._usage[key] = self._usage.get(key, 0) + calls
            if self._usage and since is not None:
                self._usage_since = min(since, self._usage_since or since)
        ctx.metrics.jobs.labels(worker=NAME, outcome="succeeded").inc()
        ctx.metrics.job_duration.labels(worker=NAME).observe(time.perf_counter() - started)
        log.debug(
            "recorded %d API key call(s)",
            recorded,
            extra={"worker": NAME, "action": "count_api_key_usage", "calls": recorded},
        )
        return recorded

    # -- periodic tasks -----------------------------------------------------------------------

    async def run_task(self, ctx: Context, task: Task) -> int | None:
        """Run one task now; the count its function returned, None when another process held it."""
        async with ctx.pool.connection() as conn, conn.transaction():
            if not await conn.scalar(QUERIES["maintenance_try_lock"], {"task": task.name}):
                return None
            count = await conn.scalar(task.query, dict(task.params))
        return int(count or 0)

    async def run_pass(self, ctx: Context) -> int:
        took = 0
        failures: list[str] = []
        async with ctx.limiter:
            try:
                if await self.flush_usage(ctx):
                    took += 1
            except LuneoError as exc:
                failures.append(f"count_api_key_usage: {scrub(exc.message, ctx.pool.url)}")
            for task in self.tasks:
                if ctx.stopping.is_set():
                    break
                now = time.monotonic()
                if now < self._due[task.name]:
                    continue
                if await self._run_due(ctx, task, now):
                    took += 1
                else:
                    failures.append(task.name)
        if failures:
            raise MaintenanceFailed(f"{len(failures)} maintenance task(s) failed: {'; '.join(failures)}")
        return took

    async def _run_due(self, ctx: Context, task: Task, now: float) -> bool:
        extra: dict[str, object] = {"worker": NAME, "action": task.name}
        started = time.perf_counter()
        try:
            count = await self.run_task(ctx, task)
        except LuneoError as exc:
            self._due[task.name] = now + min(task.every, RETRY_FAILED_TASK_AFTER)
            ctx.metrics.jobs.labels(worker=NAME, outcome="failed").inc()
            message = scrub(exc.message, ctx.pool.url)
            log.warning("%s failed: %s", task.name, message, extra={**extra, "error": message})
            return False
        self._due[task.name] = now + task.every
        ctx.metrics.job_duration.labels(worker=NAME).observe(time.perf_counter() - started)
        if count is None:
            ctx.metrics.jobs.labels(worker=NAME, outcome="skipped").inc()
            log.debug("%s: another process is running it", task.name, extra=extra)
        else:
            ctx.metrics.jobs.labels(worker=NAME, outcome="succeeded").inc()
            if count:
                log.info("%s: %d %s", task.name, count, task.done, extra={**extra, "count": count})
        return True

    # -- lifecycle ----------------------------------------------------------------------------

    async def stop(self, ctx: Context) -> None:
        """The last flush: calls counted since the last pass are recorded before the pool closes."""
        try:
            await self.flush_usage(ctx)
        except LuneoError as exc:
            lost = sum(self._usage.values())
            log.warning(
                "could not record %d API key call(s) at stop: %s",
                lost,
                scrub(exc.message, ctx.pool.url),
                extra={"worker": NAME, "action": "count_api_key_usage", "calls": lost},
            )

    async def queue_stats(self, ctx: Context) -> dict[str, tuple[int, float]]:
        """`api_key_usage`: calls counted in memory and not yet recorded."""
        age = 0.0 if self._usage_since is None else time.monotonic() - self._usage_since
        return {"api_key_usage": (sum(self._usage.values()), age)}


class MaintenanceFailed(LuneoError):
    """One or more tasks of a pass failed (each was logged); the others ran."""
