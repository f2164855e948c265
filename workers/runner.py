"""The worker runtime: one process hosting the selected workers as asyncio tasks.

    runner = Runner(url, [Maintenance()], WorkerSettings())
    await runner.run()          # until SIGTERM/SIGINT (or `request_stop()`)

What it owns (docs/workers.md):
- one pool for every worker, and one LISTEN connection on the union of their channels; a
  (re)connection wakes every worker (notifications sent while nobody listened are lost, so each
  looks for due work), a notification wakes the workers of its channel;
- one loop per worker: `run_pass` again at once while it takes jobs, otherwise a wait for a wake
  or the poll interval; a pass that raises is logged and tried again after a backoff;
- side tasks watched and restarted when they fail: the listener and the heartbeat (a row in
  private.worker_heartbeats, the queue gauges); the health and metrics endpoint;
- shutdown: on the first SIGTERM/SIGINT, `stopping` is set and nothing more is claimed, passes
  under way end and every worker's `drain` is awaited up to `shutdown_timeout`; what is left is
  cancelled, every worker's `stop` releases its leases, the heartbeat row is deleted, the pool
  closed. A second signal skips the wait (`stop` still runs).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from luneo.core.db import ConnectionLost, Listener, Notification, Pool, Queries, QueryFailed, scrub
from luneo.core.errors import ConfigError, ConnectionFailed, LuneoError
from luneo.core.settings import PoolSettings, WorkerSettings
from luneo.workers import health
from luneo.workers.base import Context, Worker
from luneo.workers.metrics import Metrics

log = logging.getLogger(__name__)
QUERIES = Queries.load("luneo.workers")
STOP_TIMEOUT = 15.0
"""Seconds each worker's `stop` (lease release) gets, and the heartbeat row's deletion."""
MIN_POLL_INTERVAL = 0.01
MISSING_OBJECT = frozenset({"42883", "3F000", "42P01"})
"""undefined function, schema or table: the database does not have the schema."""


def new_worker_id() -> str:
    """`hostname:pid:<8 hex>`: unique per process, even across restarts with the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def luneo_version() -> str:
    try:
        return package_version("luneo")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "unknown"


@dataclass
class WorkerState:
    """The runner's view of one worker."""

    worker: Worker
    poll_interval: float
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    last_pass_at: datetime | None = None
    last_error: str | None = None
    passes: int = 0
    task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.worker.name


class Runner:
    """Runs `workers` against the database at `url` until stopped (module doc)."""

    def __init__(
        self,
        url: str,
        workers: Sequence[Worker],
        settings: WorkerSettings,
        *,
        pool: PoolSettings | None = None,
        install_signals: bool = True,
        listen_keepalive: float = 30.0,
        error_backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        """`install_signals`: handle SIGTERM/SIGINT (the CLI); tests call `request_stop` instead.
        `error_backoff`: first and longest wait, in seconds, before a failed pass is retried."""
        if not workers:
            raise ValueError("a Runner needs at least one worker")
        names = [w.name for w in workers]
        if len(set(names)) != len(names):
            raise ValueError(f"a worker is selected twice: {', '.join(names)}")
        self.url = url
        self.settings = settings
        self.pool_settings = pool or PoolSettings()
        self.install_signals = install_signals
        self.listen_keepalive = listen_keepalive
        self.error_backoff = error_backoff
        self.worker_id = new_worker_id()
        self.version = luneo_version()
        self.metrics = Metrics()
        self.metrics.track_workers(names)
        self.stopping = asyncio.Event()
        self.started = asyncio.Event()
        """Set once every worker started and the endpoint listens (`port` is known)."""
        self.port: int | None = None
        self.listener: Listener | None = None
        self.db_ok = True
        """False while the last database round-trip (heartbeat, or a pass's connection) failed."""
        self.states = [
            WorkerState(w, max(min(w.poll_interval, settings.poll_interval), MIN_POLL_INTERVAL))
            for w in workers
        ]
        self._force = asyncio.Event()
        self._signals = 0
        self._ctx: Context | None = None

    # -- the lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Start everything, run until stopped, shut down (module doc). Returns normally after
        a graceful or a forced shutdown; raises when the process could not start."""
        loop = asyncio.get_running_loop()
        pool = Pool(
            self.url,
            min_size=self.pool_settings.min_size,
            max_size=self.pool_settings.max_size,
            timeout=self.pool_settings.timeout,
            application_name="luneo worker",
        )
        await pool.open(timeout=self.pool_settings.timeout)
        ctx = self._ctx = Context(
            pool=pool,
            worker_id=self.worker_id,
            settings=self.settings,
            stopping=self.stopping,
            limiter=asyncio.Semaphore(self.settings.concurrency),
            metrics=self.metrics,
        )
        self.metrics.track_pool(pool.stats)
        self.metrics.database_ok.set_function(lambda: 1 if self.db_ok else 0)
        side: list[asyncio.Task[None]] = []
        http: health.EmbeddedServer | None = None
        http_task: asyncio.Task[None] | None = None
        started: list[WorkerState] = []
        beating = False
        try:
            await self._first_beat()
            beating = True
            sock = health.bind(self.settings.host, self.settings.port)
            self.port = sock.getsockname()[1]
            for state in self.states:
                await state.worker.start(ctx)
                started.append(state)
            if self.install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, self._on_signal, sig)
            routes = [route for state in self.states for route in state.worker.routes(ctx)]
            http = health.server(health.make_app(self.health, self.metrics, routes), sock)
            http_task = asyncio.create_task(http.serve(sockets=[sock]), name="luneo worker http")
            channels = sorted({c for s in self.states for c in s.worker.channels})
            if channels:
                self.listener = Listener(
                    self.url,
                    channels,
                    on_connect=self._on_listen_connect,
                    application_name="luneo worker listen",
                    keepalive=self.listen_keepalive,
                )
                listener = self.listener
                self.metrics.listen_connected.set_function(lambda: 1 if listener.backend_pid else 0)
                self.metrics.listen_connections.set_function(lambda: listener.connections)
                side.append(self._side_task("listen", self._listen))
            side.append(self._side_task("heartbeat", self._heartbeat_loop))
            for state in self.states:
                state.task = asyncio.create_task(self._worker_loop(state), name=f"luneo worker {state.name}")
                if self.listener is None:
                    state.wake.set()  # the claim pass at start; else the listener's first connection
            self.metrics.up.set(1)
            self.started.set()
            log.info(
                "worker %s running %s; health and metrics on http://%s:%d (port=%d)",
                self.worker_id,
                ", ".join(s.name for s in self.states),
                self.settings.host,
                self.port,
                self.port,
                extra=self._extra(
                    None,
                    "start",
                    worker_id=self.worker_id,
                    workers=",".join(s.name for s in self.states),
                    port=self.port,
                ),
            )
            await self.stopping.wait()
            await self._shutdown_workers()
        finally:
            self.stopping.set()
            self.metrics.up.set(0)
            if self.install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
            for state in self.states:  # after a failed start: loops that began
                if state.task is not None and not state.task.done():
                    state.task.cancel()
            await _cancel(*(s.task for s in self.states if s.task is not None))
            await self._stop_workers(started)
            await _cancel(*side)
            if beating:
                await self._forget_heartbeat()
            if http is not None and http_task is not None:
                http.should_exit = True
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(http_task), 5)
                await _cancel(http_task)
            await pool.close()
            stopped = self._extra(None, "stop", worker_id=self.worker_id)
            log.info("worker %s stopped", self.worker_id, extra=stopped)

    def request_stop(self, *, force: bool = False) -> None:
        """What SIGTERM/SIGINT do: the first call stops gracefully, a second one (or `force`)
        cancels the work in progress at once."""
        if self.stopping.is_set() or force:
            self._force.set()
        self.stopping.set()
        for state in self.states:
            state.wake.set()

    def _on_signal(self, sig: int) -> None:
        self._signals += 1
        name = signal.Signals(sig).name
        if self._signals == 1:
            log.info(
                "%s: finishing the work in progress (at most %gs), then stopping; send it again to force",
                name,
                self.settings.shutdown_timeout,
                extra=self._extra(None, "shutdown", signal=name),
            )
        else:
            log.warning(
                "%s again: cancelling the work in progress and releasing its leases now",
                name,
                extra=self._extra(None, "shutdown", signal=name),
            )
        self.request_stop()

    async def _shutdown_workers(self) -> None:
        """Passes under way end, then each worker drains, within `shutdown_timeout`; a second
        signal or the timeout cancels what is left."""

        async def finish(state: WorkerState) -> None:
            if state.task is not None:
                await state.task
            assert self._ctx is not None
            await state.worker.drain(self._ctx)

        finishing = {asyncio.create_task(finish(s), name=f"luneo drain {s.name}"): s for s in self.states}
        pending = await self._wait_unless_forced(set(finishing), self.settings.shutdown_timeout)
        for task in finishing:
            if task.done() and not task.cancelled() and (exc := task.exception()) is not None:
                state = finishing[task]
                log.error(
                    "%s: draining failed: %s",
                    state.name,
                    self._describe(exc),
                    extra=self._extra(state.name, "drain", error=self._describe(exc)),
                )
        if pending:
            names = ", ".join(sorted(finishing[t].name for t in pending))
            why = "forced" if self._force.is_set() else f"not done after {self.settings.shutdown_timeout:g}s"
            log.warning(
                "shutdown %s: cancelling the work in progress of %s",
                why,
                names,
                extra=self._extra(None, "shutdown", workers=names),
            )
            await _cancel(*pending)

    async def _wait_unless_forced(
        self, tasks: set[asyncio.Task[None]], timeout: float
    ) -> set[asyncio.Task[None]]:
        """Wait for `tasks` up to `timeout` seconds or until forced; the tasks still pending."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        forced = asyncio.create_task(self._force.wait())
        pending = set(tasks)
        try:
            while pending and not self._force.is_set() and (left := deadline - loop.time()) > 0:
                done, _ = await asyncio.wait(
                    {*pending, forced}, timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                pending -= done
        finally:
            await _cancel(forced)
        return pending

    async def _stop_workers(self, states: Sequence[WorkerState]) -> None:
        assert self._ctx is not None
        ctx = self._ctx

        async def stop(state: WorkerState) -> None:
            try:
                await asyncio.wait_for(state.worker.stop(ctx), STOP_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - one worker's failure must not keep the others' leases
                log.error(
                    "%s: stop failed: %s",
                    state.name,
                    self._describe(exc),
                    extra=self._extra(state.name, "stop", error=self._describe(exc)),
                )

        await asyncio.gather(*(stop(s) for s in states))

    # -- worker loops -------------------------------------------------------------------------

    async def _worker_loop(self, state: WorkerState) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        first, longest = self.error_backoff
        backoff = first
        while not self.stopping.is_set():
            if not state.wake.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(state.wake.wait(), state.poll_interval)
                if self.stopping.is_set():
                    break
            state.wake.clear()  # a wake during the pass means: look again right after it
            try:
                took = await state.worker.run_pass(ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one bad pass never kills the loop
                message = self._describe(exc)
                state.last_error = message
                self.metrics.pass_errors.labels(worker=state.name).inc()
                if isinstance(exc, ConnectionFailed | ConnectionLost):
                    self.db_ok = False
                log.error(
                    "%s: pass failed: %s; retrying in %gs",
                    state.name,
                    message,
                    backoff,
                    exc_info=exc,
                    extra=self._extra(state.name, "pass", error=message, retry_in=backoff),
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, longest)
                state.wake.set()  # try again now, whatever woke it or not
                continue
            backoff = first
            state.passes += 1
            state.last_pass_at = datetime.now(UTC)
            state.last_error = None
            self.db_ok = True
            self.metrics.passes.labels(worker=state.name).inc()
            if took > 0:
                state.wake.set()  # more may be due: look again at once
                await asyncio.sleep(0)  # let the listener and the endpoint run between passes

    async def _sleep(self, seconds: float) -> None:
        """Sleep, cut short by a stop."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    # -- the LISTEN connection ----------------------------------------------------------------

    async def _on_listen_connect(self) -> None:
        """After every (re)connection: notifications may have been missed, every worker looks."""
        for state in self.states:
            state.wake.set()

    async def _listen(self) -> None:
        assert self.listener is not None
        by_channel: dict[str, list[WorkerState]] = {}
        for state in self.states:
            for channel in state.worker.channels:
                by_channel.setdefault(channel, []).append(state)
        async for note in self.listener:
            self._dispatch(note, by_channel.get(note.channel, []))

    def _dispatch(self, note: Notification, states: list[WorkerState]) -> None:
        for state in states:
            try:
                state.worker.on_notification(note.channel, note.payload)
            except Exception as exc:  # noqa: BLE001 - a worker's bug must not stop the listener
                log.error(
                    "%s: on_notification failed: %s",
                    state.name,
                    self._describe(exc),
                    extra=self._extra(state.name, "notification", channel=note.channel),
                )
            state.wake.set()

    # -- heartbeat ----------------------------------------------------------------------------

    def _heartbeat_params(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "workers": [s.name for s in self.states],
            "version": self.version,
        }

    async def _first_beat(self) -> None:
        """The heartbeat row, written before any work: also checks the schema is there."""
        assert self._ctx is not None
        try:
            async with self._ctx.pool.connection() as conn:
                await conn.execute(QUERIES["worker_heartbeat"], self._heartbeat_params())
        except QueryFailed as exc:
            if exc.sqlstate in MISSING_OBJECT:
                raise ConfigError(
                    f"the database has no private.worker_heartbeat() ({self._describe(exc)}): "
                    "apply the schema first (luneo db apply)"
                ) from None
            raise

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_interval)
            await self.beat()

    async def beat(self) -> None:
        """Write the heartbeat row and refresh the queue gauges; never raises."""
        assert self._ctx is not None
        ctx = self._ctx
        try:
            async with ctx.pool.connection() as conn:
                await conn.execute(QUERIES["worker_heartbeat"], self._heartbeat_params())
        except (QueryFailed, ConnectionFailed) as exc:
            self.db_ok = False
            log.warning(
                "heartbeat failed: %s",
                self._describe(exc),
                extra=self._extra(None, "heartbeat", error=self._describe(exc)),
            )
            return
        self.db_ok = True
        for state in self.states:
            try:
                self.metrics.set_queues(await state.worker.queue_stats(ctx))
            except Exception as exc:  # noqa: BLE001 - gauges are best effort
                log.warning(
                    "%s: queue stats failed: %s",
                    state.name,
                    self._describe(exc),
                    extra=self._extra(state.name, "queue_stats", error=self._describe(exc)),
                )

    async def _forget_heartbeat(self) -> None:
        if self._ctx is None:
            return
        try:
            async with asyncio.timeout(STOP_TIMEOUT), self._ctx.pool.connection() as conn:
                await conn.execute(QUERIES["worker_stopped"], {"worker_id": self.worker_id})
        except (QueryFailed, ConnectionFailed, TimeoutError) as exc:
            log.warning(
                "could not delete the heartbeat row (maintenance prunes it later): %s",
                self._describe(exc),
                extra=self._extra(None, "heartbeat", worker_id=self.worker_id),
            )

    # -- side tasks ---------------------------------------------------------------------------

    def _side_task(self, name: str, body: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """A task that runs `body` for the life of the process: restarted, after a pause, when
        it fails or ends."""

        async def watch() -> None:
            first, longest = self.error_backoff
            delay = first
            while True:
                try:
                    await body()
                    log.warning("%s ended; restarting it", name, extra=self._extra(None, name))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the monitor restarts it
                    log.error(
                        "%s failed: %s; restarting it in %gs",
                        name,
                        self._describe(exc),
                        delay,
                        extra=self._extra(None, name, error=self._describe(exc)),
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)

        return asyncio.create_task(watch(), name=f"luneo worker {name}")

    # -- health -------------------------------------------------------------------------------

    def health(self) -> tuple[dict[str, Any], bool]:
        """The `/health` body and whether the process is healthy."""
        listen: dict[str, Any]
        if self.listener is None:
            listen = {"connected": None, "connections": 0, "channels": []}
            listening = True
        else:
            listening = self.listener.backend_pid is not None
            listen = {
                "connected": listening,
                "connections": self.listener.connections,
                "channels": self.listener.channels,
            }
        ok = listening and self.db_ok and self.started.is_set() and not self.stopping.is_set()
        if self.stopping.is_set():
            status = "stopping"
        elif not self.started.is_set():
            status = "starting"
        else:
            status = "ok" if ok else "degraded"
        body = {
            "status": status,
            "worker_id": self.worker_id,
            "version": self.version,
            "database": {"ok": self.db_ok},
            "workers": {
                s.name: {
                    "last_pass_at": s.last_pass_at.isoformat() if s.last_pass_at else None,
                    "last_error": s.last_error,
                    "passes": s.passes,
                }
                for s in self.states
            },
            "listen": listen,
        }
        return body, ok

    # -- logging ------------------------------------------------------------------------------

    def _describe(self, exc: BaseException) -> str:
        """A one-line description of an error without the database password."""
        text = exc.message if isinstance(exc, LuneoError) else f"{type(exc).__name__}: {exc}"
        return scrub(" ".join(text.split()), self.url)

    @staticmethod
    def _extra(worker: str | None, action: str, **ids: object) -> dict[str, object]:
        fields: dict[str, object] = {"action": action, **ids}
        if worker is not None:
            fields = {"worker": worker, **fields}
        return fields


async def _cancel(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel the tasks and wait until they are done (their exceptions are dropped)."""
    live = [t for t in tasks if t is not None]
    if not live:
        return
    for task in live:
        task.cancel()
    await asyncio.wait(live)  # unlike awaiting each task, a cancellation of the caller still propagates
    for task in live:
        if not task.cancelled():
            task.exception()  # retrieved: asyncio does not report it as never retrieved
