"""Synchronous connections, for the CLI and the migration engine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, LiteralString, Self, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import JsonbDumper

from luneo.core.db.errors import translate
from luneo.core.db.urls import describe_target, scrub
from luneo.core.errors import ConnectionFailed

Params = Mapping[str, Any] | Sequence[Any] | None
Row = tuple[Any, ...]
CONNECT_TIMEOUT = 10


def connect_failure(url: str, exc: psycopg.Error) -> ConnectionFailed:
    """One line naming the target; libpq's reason, which may quote the password, is scrubbed."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = scrub("; ".join(lines), url) or type(exc).__name__
    return ConnectionFailed(f"cannot connect to {describe_target(url)}: {reason}")


def configure(raw: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> None:
    """Settings shared by every Luneo connection: Python dicts are sent as jsonb."""
    raw.adapters.register_dumper(dict, JsonbDumper)


class Connection:
    """A connection seen through Luneo: queries in, tuples out, `luneo.core.db.errors` raised."""

    def __init__(self, raw: psycopg.Connection[Any], url: str | None = None) -> None:
        self._raw = raw
        self._url = url

    def execute(self, query: LiteralString, params: Params = None) -> list[Row]:
        """Run one statement; its rows (empty when it returns none)."""
        try:
            cur = self._raw.execute(query, params)
            return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise translate(exc) from exc

    def one(self, query: LiteralString, params: Params = None) -> Row | None:
        rows = self.execute(query, params)
        return rows[0] if rows else None

    def scalar(self, query: LiteralString, params: Params = None) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.one(query, params)
        return row[0] if row else None

    def run_sql(self, text: str) -> None:
        """Run one statement of a SQL file: text that is not ours, sent unprepared."""
        try:
            self._raw.execute(cast(LiteralString, text), prepare=False)
        except psycopg.Error as exc:
            raise translate(exc) from exc

    @contextmanager
    def transaction(self, *, force_rollback: bool = False) -> Iterator[None]:
        """A transaction (a savepoint when one is open); rolled back on error or when forced."""
        try:
            with self._raw.transaction(force_rollback=force_rollback):
                yield
        except psycopg.Error as exc:  # raised by commit itself (deferred constraints, ...)
            raise translate(exc) from exc

    @property
    def in_transaction(self) -> bool:
        return self._raw.info.transaction_status != TransactionStatus.IDLE

    @property
    def backend_pid(self) -> int:
        return self._raw.info.backend_pid

    def sibling(self, application_name: str) -> Connection:
        """Another autocommit connection to the same database, e.g. for a watcher thread."""
        if self._url is None:
            raise ValueError("this connection was not opened by luneo.core.db.connect")
        return connect(self._url, application_name=application_name)

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(url: str, *, application_name: str = "luneo", autocommit: bool = True) -> Connection:
    """Open a connection, turning failures into a one-line `ConnectionFailed`."""
    try:
        raw = psycopg.connect(
            url, autocommit=autocommit, application_name=application_name, connect_timeout=CONNECT_TIMEOUT
        )
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:  # refused, or a malformed URL
        raise connect_failure(url, exc) from None
    configure(raw)
    return Connection(raw, url)
