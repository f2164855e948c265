"""``require-concurrent-index``: index builds and drops that block the table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import names, shown
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    if isinstance(stmt, ast.IndexStmt) and not stmt.concurrent and not ctx.is_new(stmt.relation):
        yield Hit(
            f"create index on existing table {shown(stmt.relation)} blocks writes while it "
            "builds; use create index concurrently (it cannot run inside a transaction block)"
        )
    elif (
        isinstance(stmt, ast.DropStmt) and stmt.removeType == ObjectType.OBJECT_INDEX and not stmt.concurrent
    ):
        dropped = ", ".join(".".join(names(name)) for name in stmt.objects or ())
        yield Hit(
            f"drop index {dropped} takes an access exclusive lock on its table; use drop index "
            "concurrently (it cannot run inside a transaction block)"
        )


RULE = Rule(
    "require-concurrent-index",
    Severity.WARNING,
    "create/drop index on an existing table without concurrently blocks writes",
    check,
)
