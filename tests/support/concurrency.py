"""Real concurrent requests: one held open on its locks, or several started together."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support.postgrest import PostgrestError, Session, begin_request


@contextmanager
def open_request(
    url: str, session: Session, query: str, params: list[Any]
) -> Iterator[tuple[dict | None, int]]:
    """Run `query` as `session`'s caller in a transaction left open; yields the query's first row
    and the backend pid, and commits when the block ends.

    Opened with `begin_request`, as every emulated request, on a connection of its own, so
    another request can be made to wait on the locks this one holds.
    """
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        begin_request(
            conn, session.request, method="POST", path="/rpc", read_only=False, schema=session.api.schema
        )
        row = conn.execute(query, params).fetchone()
        yield row, conn.info.backend_pid
        conn.execute("commit")


def wait_until_blocked_by(url: str, pid: int, timeout: float = 10.0) -> int:
    """The backend waiting on a lock held by `pid`, once there is one."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "select pid from pg_stat_activity where %s = any(pg_blocking_pids(pid))", [pid]
            ).fetchone()
            if row:
                return row[0]
            time.sleep(0.02)
    raise AssertionError(f"no request ever waited for backend {pid}")


def race(calls: list[Callable[[], Any]]) -> list[Any | PostgrestError]:
    """Start the calls together on their own threads (and connections); their results or errors."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any | PostgrestError:
        barrier.wait()
        try:
            return call()
        except PostgrestError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
