"""One map from SQLSTATE to Luneo errors, with what may be retried.

Every psycopg error leaving `luneo.core.db` goes through `translate`, so callers branch on
Luneo classes (`LockNotAvailable`, `ConnectionLost`, ...) and on `retryable`, never on psycopg.
Retryable: serialization failure (40001), deadlock (40P01), lock not available (55P03), the
connection exception class (08xxx) and a server shutting down (57P01-57P03), or a connection
that dropped without any SQLSTATE. Anything else is a fault of the statement or the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import psycopg

from luneo.core.errors import LuneoError


@dataclass(frozen=True)
class PgError:
    """The fields of a Postgres error that users need to see."""

    sqlstate: str
    message: str
    detail: str | None = None
    hint: str | None = None
    position: int | None = None
    """1-based character offset in the statement, when Postgres reports one."""
    context: str | None = None


class QueryFailed(LuneoError):
    """A statement failed on the server (or the connection under it did)."""

    retryable: ClassVar[bool] = False

    def __init__(self, error: PgError) -> None:
        super().__init__(f"{error.message} (SQLSTATE {error.sqlstate})" if error.sqlstate else error.message)
        self.error = error

    @property
    def sqlstate(self) -> str:
        return self.error.sqlstate


class RetryableError(QueryFailed):
    """Running the same work again, in a new transaction, may succeed."""

    retryable = True


class SerializationFailure(RetryableError):
    """40001: a concurrent transaction made this one impossible to serialise."""


class DeadlockDetected(RetryableError):
    """40P01: this transaction was chosen as a deadlock victim."""


class LockNotAvailable(RetryableError):
    """55P03: a lock was not granted within `lock_timeout` (or `nowait`)."""


class ConnectionLost(RetryableError):
    """08xxx, 57P01-57P03, or no SQLSTATE at all: the connection is gone; reconnect and retry."""


_BY_SQLSTATE: dict[str, type[QueryFailed]] = {
    "40001": SerializationFailure,
    "40P01": DeadlockDetected,
    "55P03": LockNotAvailable,
    "57P01": ConnectionLost,  # admin_shutdown (pg_terminate_backend, fast shutdown)
    "57P02": ConnectionLost,  # crash_shutdown
    "57P03": ConnectionLost,  # cannot_connect_now (starting up, shutting down)
}
_BY_CLASS: dict[str, type[QueryFailed]] = {"08": ConnectionLost}


def error_class(sqlstate: str) -> type[QueryFailed]:
    """The Luneo error class for a SQLSTATE; an empty one means the connection dropped."""
    if not sqlstate:
        return ConnectionLost
    return _BY_SQLSTATE.get(sqlstate) or _BY_CLASS.get(sqlstate[:2]) or QueryFailed


def is_retryable(sqlstate: str) -> bool:
    return error_class(sqlstate).retryable


def translate(exc: psycopg.Error) -> QueryFailed:
    """The Luneo error for a psycopg error (its diagnostics kept in `.error`)."""
    diag = exc.diag
    position = diag.statement_position
    error = PgError(
        sqlstate=exc.sqlstate or "",
        message=diag.message_primary or " ".join(str(exc).split()) or type(exc).__name__,
        detail=diag.message_detail,
        hint=diag.message_hint,
        position=int(position) if position else None,
        context=diag.context,
    )
    if not error.sqlstate and not isinstance(exc, psycopg.OperationalError):
        return QueryFailed(error)  # a client-side error (bad parameters): nothing to retry
    return error_class(error.sqlstate)(error)
