"""Database access: the only package of Luneo that imports psycopg.

An import-linter contract (pyproject.toml) forbids psycopg everywhere else: the CLI, the
workers, the migration engine and the checks use what this package exports, so driver
settings, URL redaction and the translation of Postgres errors have one home.

- `connect` / `Connection`: synchronous, for the CLI and the migration engine.
- `connect_async` / `AsyncConnection` and `Pool` (an `AsyncConnectionPool`, opened
  explicitly): for the workers.
- `Listener`: the dedicated autocommit LISTEN connection, reconnected when it drops.
- `errors`: one SQLSTATE -> error map (`QueryFailed` and its retryable subclasses).
- `Queries`: the named queries of a package, from its `.sql` files.
Python dicts passed as parameters are sent as `jsonb`.
"""

from luneo.core.db.aio import AsyncConnection, Pool, connect_async
from luneo.core.db.errors import (
    ConnectionLost,
    DeadlockDetected,
    LockNotAvailable,
    PgError,
    QueryFailed,
    RetryableError,
    SerializationFailure,
    is_retryable,
)
from luneo.core.db.listen import Listener, Notification
from luneo.core.db.queries import DuplicateQuery, Queries
from luneo.core.db.sync import Connection, Params, Row, connect
from luneo.core.db.urls import (
    database_name,
    describe_target,
    is_local,
    passwords,
    redact,
    scrub,
    uses_transaction_pooler,
    with_database,
)

__all__ = [
    "AsyncConnection",
    "Connection",
    "ConnectionLost",
    "DeadlockDetected",
    "DuplicateQuery",
    "Listener",
    "LockNotAvailable",
    "Notification",
    "Params",
    "PgError",
    "Pool",
    "Queries",
    "QueryFailed",
    "RetryableError",
    "Row",
    "SerializationFailure",
    "connect",
    "connect_async",
    "database_name",
    "describe_target",
    "is_local",
    "is_retryable",
    "passwords",
    "redact",
    "scrub",
    "uses_transaction_pooler",
    "with_database",
]
