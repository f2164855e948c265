"""The one module that talks to psycopg: connections, named queries, error translation.

Everything else in Luneo goes through here, so driver settings, URL redaction and the
mapping from Postgres errors to Luneo errors have a single home.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from luneo.core.errors import ConnectionFailed

__all__ = [
    "Connection",
    "DatabaseError",
    "Jsonb",
    "PgError",
    "TransactionStatus",
    "connect",
    "errors",
    "is_local",
    "pg_error",
    "query",
    "redact",
    "sql",
    "uses_transaction_pooler",
    "with_database",
]

Connection = psycopg.Connection
DatabaseError = psycopg.Error

TRANSACTION_POOLER_PORT = "6543"
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def redact(url: str) -> str:
    """The URL with any password replaced, safe to print or log."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _params(url: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except psycopg.ProgrammingError as exc:
        raise ConnectionFailed(f"invalid database URL {redact(url)}: {exc}") from None


def uses_transaction_pooler(url: str) -> bool:
    """True when the URL points at Supabase's transaction pooler (port 6543)."""
    return _params(url).get("port") == TRANSACTION_POOLER_PORT


def is_local(url: str) -> bool:
    """True for a Unix socket or a loopback host: the only targets `reset` accepts freely."""
    host = _params(url).get("host", "")
    return host.startswith("/") or all(h in LOCAL_HOSTS for h in host.split(","))


def describe_target(url: str) -> str:
    """`user@host:port/dbname` without the password, for messages."""
    p = _params(url)
    host = p.get("host") or urlsplit(url).hostname or "localhost"
    return f"{p.get('user', '')}@{host}:{p.get('port', '5432')}/{p.get('dbname', '')}"


def with_database(url: str, dbname: str) -> str:
    """The same URL pointing at another database of the server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def connect(url: str, *, application_name: str = "luneo", autocommit: bool = True) -> Connection:
    """Open a connection, turning failures into a one-line `ConnectionFailed`."""
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            application_name=application_name,
            connect_timeout=10,
        )
    except psycopg.OperationalError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = "; ".join(lines) or type(exc).__name__
        raise ConnectionFailed(f"cannot connect to {describe_target(url)}: {reason}") from None


@dataclass(frozen=True)
class PgError:
    """The fields of a Postgres error that users need to see."""

    sqlstate: str
    message: str
    detail: str | None
    hint: str | None
    position: int | None
    """1-based character offset in the statement, when Postgres reports one."""
    context: str | None


def pg_error(exc: psycopg.Error) -> PgError:
    diag = exc.diag
    position = diag.statement_position
    return PgError(
        sqlstate=exc.sqlstate or "",
        message=diag.message_primary or str(exc).strip(),
        detail=diag.message_detail,
        hint=diag.message_hint,
        position=int(position) if position else None,
        context=diag.context,
    )


@cache
def _queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for resource in sorted(files("luneo.core").iterdir(), key=lambda r: r.name):
        if resource.name.endswith(".sql"):
            parts = re.split(r"^-- (\w+) --\n", resource.read_text(encoding="utf-8"), flags=re.MULTILINE)
            queries |= {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    return queries


def query(name: str) -> sql.SQL:
    """A named query from the `core/*.sql` files (sections start with `-- name --`)."""
    return sql.SQL(_queries()[name])  # type: ignore[arg-type]
