"""The migration lock: a session advisory lock that every `luneo db` command that writes takes."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from luneo.core import db
from luneo.core.errors import LockTimeout
from luneo.core.migrations.queries import QUERIES

log = logging.getLogger(__name__)

LOCK_KEY = int.from_bytes(b"luneo-db", "big") >> 1
"""Session advisory lock key shared by every `luneo db` command that writes."""


def os_user() -> str:
    """`user@host` of this process: who ran a command, beyond the database role."""
    return f"{os.environ.get('USER', 'user')}@{socket.gethostname()}"


def application_name(command: str) -> str:
    """Shown in pg_stat_activity, so a waiting run can say who holds the lock."""
    return f"luneo {command} ({os_user()} pid {os.getpid()})"


@contextmanager
def migration_lock(conn: db.Connection, wait_seconds: float) -> Iterator[None]:
    """Hold the session advisory lock; wait with backoff, naming the holder, up to a limit."""
    deadline = time.monotonic() + wait_seconds
    delay, told = 0.05, False
    while not conn.scalar(QUERIES["try_lock"], {"key": LOCK_KEY}):
        holder = _lock_holder(conn)
        if time.monotonic() >= deadline:
            raise LockTimeout(f"gave up after {wait_seconds:g}s waiting for the migration lock, {holder}")
        if not told:
            log.warning("waiting for the migration lock, %s", holder, extra={"action": "lock"})
            told = True
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute(QUERIES["unlock"], {"key": LOCK_KEY})


def _lock_holder(conn: db.Connection) -> str:
    row = conn.one(QUERIES["lock_holder"], {"key": LOCK_KEY})
    if row is None:
        return "held by a session that just ended"
    pid, app, user, client, since = row
    return (
        f"held by pid {pid} ({app}, user {user}, from {client}, connected since {since:%Y-%m-%d %H:%M:%S%z})"
    )
