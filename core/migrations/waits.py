"""Lock waits of a migration session: a short lock timeout, retries with backoff, and who blocks.

While a DDL statement waits for its lock, every later query on that table queues behind it, so
every statement of a migration session runs under a short `lock_timeout` (LUNEO_DDL_LOCK_TIMEOUT)
and work that hits it is run again after a pause that doubles each time, with jitter, up to
LUNEO_DDL_RETRIES times. Once the session hit its first lock timeout, a watcher thread on a
connection of its own samples who blocks it (`pg_blocking_pids`) while it waits: after a timeout
nobody blocks us any more, so the retry warnings and the final error name what was seen then.
The watcher also reports a statement that runs without a lock timeout (`create index
concurrently`, see `concurrently`) once it has waited longer than the DDL lock timeout.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

from luneo.core import db
from luneo.core.errors import LockTimeout, LuneoError
from luneo.core.migrations.lock import application_name
from luneo.core.migrations.queries import QUERIES
from luneo.core.settings import MigrationSettings, duration_seconds

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_FIRST = 0.25
"""Seconds: the ceiling of the first pause; it doubles with each retry..."""
BACKOFF_CAP = 5.0
"""...up to this. Each pause is random in the upper half of its ceiling."""
REPORT_EVERY = 30.0
"""Seconds between two reports of the same long wait (statements without a lock timeout)."""
QUERY_CHARS = 200
"""A blocker's query is cut to this many characters in messages."""


def apply_session_timeouts(conn: db.Connection, settings: MigrationSettings) -> None:
    """Put the whole session under the DDL lock timeout. Call it again after anything that
    resets the session's settings (`reset all`)."""
    conn.execute("select set_config('lock_timeout', %s, false)", [settings.ddl_lock_timeout])


def backoff(attempt: int) -> float:
    """Seconds to pause after failed attempt `attempt` (0-based): the ceiling doubles from
    BACKOFF_FIRST up to BACKOFF_CAP; the pause is random in its upper half, so runs that
    collided do not retry in step."""
    ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class Blocker:
    """A session seen blocking ours, from pg_stat_activity."""

    pid: int
    application: str
    user: str
    state: str
    seconds: float
    """How long its transaction has been open."""
    query: str
    """Its current query, or its last one when it is idle in transaction."""

    def __str__(self) -> str:
        query = " ".join(self.query.split())
        if len(query) > QUERY_CHARS:
            query = query[: QUERY_CHARS - 3] + "..."
        return (
            f'pid {self.pid} (application "{self.application}", user {self.user}, {self.state}, '
            f"transaction open {self.seconds:.0f}s): {query or '?'}"
        )


@dataclass(frozen=True)
class Wait:
    """One sample of the watched session waiting for a lock."""

    wanted: str
    """The lock it waits for: `AccessShareLock on public.items`, `the end of a transaction`."""
    blockers: tuple[Blocker, ...]

    def __str__(self) -> str:
        return f"waiting for {self.wanted}, blocked by " + "; and by ".join(str(b) for b in self.blockers[:3])


def describe(wait: Wait | None) -> str:
    if wait is None:
        return "the blocking session was not seen (it is watched from the first lock timeout on)"
    return str(wait)


class Watcher:
    """Samples, from a connection of its own, who blocks backend `pid` while it waits for a
    lock; runs until `close()` or until the watched connection closes."""

    def __init__(self, conn: db.Connection, report_after: float) -> None:
        self.pid = conn.backend_pid
        self.report_after = report_after
        self.label: str | None = None
        """What the session runs without a lock timeout, if anything: its long waits are reported."""
        self.latest: tuple[float, Wait | None] = (0.0, None)
        """(time.monotonic(), what it saw) of the last sample that saw the session waiting."""
        self._watched = conn
        self._conn = conn.sibling(application_name(f"db lock watch of pid {self.pid}"))
        self._interval = min(max(report_after / 5, 0.05), 0.2)
        self._reported: tuple[str | None, float] = (None, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"luneo lock watch {self.pid}", daemon=True)
        self._thread.start()

    def seen_since(self, since: float) -> Wait | None:
        at, wait = self.latest
        return wait if at >= since else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval) and not self._watched.closed:
                rows = self._conn.execute(QUERIES["lock_blockers"], {"pid": self.pid})
                if rows:
                    self._sampled(rows)
        except LuneoError as exc:  # the server went away: the watched session will say so
            log.debug("lock watch stopped: %s", exc, extra={"action": "lock-wait"})
        finally:
            self._conn.close()

    def _sampled(self, rows: list[db.Row]) -> None:
        now = time.monotonic()
        wait = Wait(rows[0][7] or "a lock", tuple(Blocker(*row[:6]) for row in rows))
        self.latest = (now, wait)
        label, waited = self.label, rows[0][6]
        last_label, last_time = self._reported
        if label and waited >= self.report_after and (label != last_label or now - last_time >= REPORT_EVERY):
            self._reported = (label, now)
            log.warning(
                "%s: still running after %.1fs, without a lock timeout (it blocks no reader or writer "
                "while it waits): %s",
                label,
                waited,
                wait,
                extra={"action": "lock-wait", "blocking_pids": [b.pid for b in wait.blockers]},
            )


class LockWaits:
    """The lock waits of one migration session; see the module docstring."""

    def __init__(self, conn: db.Connection, settings: MigrationSettings) -> None:
        self.conn = conn
        self.settings = settings
        self.timeout_seconds = duration_seconds(settings.ddl_lock_timeout)
        self._watcher: Watcher | None = None
        self._unwatchable = False
        apply_session_timeouts(conn, settings)

    def watch(self) -> Watcher | None:
        """The watcher, started on first use (one more connection, kept until `close`)."""
        if self._watcher is None and not self._unwatchable:
            try:
                self._watcher = Watcher(self.conn, report_after=self.timeout_seconds)
            except LuneoError as exc:
                self._unwatchable = True
                log.warning(
                    "cannot watch lock waits (%s): a lock wait will not name who blocks it",
                    exc,
                    extra={"action": "lock-wait"},
                )
        return self._watcher

    def seen(self, since: float) -> Wait | None:
        """The last wait of the session seen since `since` (a `time.monotonic()`), if any."""
        return self._watcher.seen_since(since) if self._watcher else None

    def pause(self, what: str, attempt: int, since: float, extra: dict[str, object] | None = None) -> None:
        """After `what` hit the lock timeout in attempt `attempt` (0-based, begun at `since`):
        start watching, say who blocked it (when seen), and sleep before the next attempt."""
        self.watch()
        delay = backoff(attempt)
        wait = self.seen(since)
        log.warning(
            "%s: lock_timeout (%s) hit, retrying in %.1fs (retry %d of %d)%s",
            what,
            self.settings.ddl_lock_timeout,
            delay,
            attempt + 1,
            self.settings.ddl_retries,
            f"; {wait}" if wait else "",
            extra=(extra or {}) | {"action": "lock-wait", "attempt": attempt + 1},
        )
        time.sleep(delay)

    def gave_up(self, since: float) -> str:
        """The end of the error of work that gave up waiting for a lock (its last attempt began
        at `since`): how long it tried, and who blocked it."""
        return (
            f"gave up after {self.settings.ddl_retries + 1} attempts of lock_timeout "
            f"{self.settings.ddl_lock_timeout} (LUNEO_DDL_LOCK_TIMEOUT, LUNEO_DDL_RETRIES); "
            f"{describe(self.seen(since))}"
        )

    def run(self, what: str, work: Callable[[], T]) -> T:
        """`work`, run again after a pause while it hits the lock timeout. It must leave
        nothing behind when it fails (a read, one statement in autocommit, a transaction);
        after the last retry its `LockNotAvailable` propagates."""
        for attempt in itertools.count():
            since = time.monotonic()
            try:
                return work()
            except db.LockNotAvailable:
                if attempt >= self.settings.ddl_retries:
                    raise
                self.pause(what, attempt, since)
        raise AssertionError("unreachable")

    def retry(self, what: str, work: Callable[[], T]) -> T:
        """`work` in a transaction of its own (a savepoint inside one), retried as `run` does;
        when it gives up, `LockTimeout` names who blocked it."""

        def attempt() -> T:
            with self.conn.transaction():
                return work()

        since = time.monotonic()
        try:
            return self.run(what, attempt)
        except db.LockNotAvailable as exc:
            raise LockTimeout(f"{what}: {exc.error.message}; {self.gave_up(since)}") from None

    @contextmanager
    def without_lock_timeout(self, label: str) -> Iterator[None]:
        """Run what waits without blocking anyone (a concurrent statement, outside a
        transaction) with no lock timeout; watched, so a long wait is reported as `label`."""
        watcher = self.watch()
        previous = self.conn.scalar("select current_setting('lock_timeout')")
        self.conn.execute("select set_config('lock_timeout', '0', false)")
        if watcher:
            watcher.label = label
        try:
            yield
        finally:
            if watcher:
                watcher.label = None
            with suppress(db.ConnectionLost):
                self.conn.execute("select set_config('lock_timeout', %s, false)", [previous])

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
