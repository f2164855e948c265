"""Concurrent statements (`create index concurrently` and kin, see `files.runs_concurrently`).

They wait for other transactions to end while holding a lock that blocks no reader or writer,
so the engine runs them without the DDL lock timeout (`waits.LockWaits.without_lock_timeout`):
a concurrent build that hits a lock timeout fails and leaves an INVALID index behind.

An invalid index is also what any failed concurrent build leaves (a duplicate under `unique`,
a cancel, a lost connection): Postgres keeps maintaining it on every write, a unique one may
even refuse rows, and its name stays taken (`if not exists` would silently keep it). So before
`create index concurrently <name>` runs, an invalid index of that name on the table's schema
is reported and dropped (`drop index concurrently`), and a build that fails drops what it left.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from luneo.core import db
from luneo.core.migrations.files import Statement
from luneo.core.migrations.queries import QUERIES

log = logging.getLogger(__name__)


def run(conn: db.Connection, stmt: Statement, where: str) -> None:
    """Run a concurrent statement (outside a transaction, the lock timeout already lifted);
    `where` (`file:line`) names it in warnings."""
    index = _built_index(stmt)
    if index is not None:
        why = "left by an earlier failed concurrent build: dropping it and building it again"
        _drop_invalid(conn, index, where, why)
    try:
        conn.run_sql(stmt.text)
    except db.QueryFailed:
        if index is not None:
            with suppress(db.QueryFailed):  # the build's own error is the one to report
                _drop_invalid(conn, index, where, "left by this failed build: dropping it")
        raise


def _built_index(stmt: Statement) -> dict[str, str | None] | None:
    """`{schema, table, index}` of a named `create index concurrently`, else None."""
    from pglast import ast

    node = stmt.node
    if not (isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname):
        return None
    return {"schema": node.relation.schemaname, "table": node.relation.relname, "index": node.idxname}


def _drop_invalid(conn: db.Connection, index: dict[str, str | None], where: str, why: str) -> None:
    for name, statement in conn.execute(QUERIES["invalid_index"], index):
        log.warning(
            "%s: index %s is invalid (%s)",
            where,
            name,
            why,
            extra={"action": "invalid-index", "index": name},
        )
        conn.run_sql(statement)
