"""``ban-drop-table``: dropping a table that holds data and that clients use."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import DEFAULT_SCHEMA, names
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    if not isinstance(stmt, ast.DropStmt) or stmt.removeType != ObjectType.OBJECT_TABLE:
        return
    tables = [".".join(names(name)) for name in stmt.objects or ()]
    dropped = [name if "." in name else f"{DEFAULT_SCHEMA}.{name}" for name in tables]
    if all(name in ctx.created_tables for name in dropped):
        return
    yield Hit(
        f"dropping table {', '.join(tables)} loses its data and breaks clients that use it; "
        "stop using it first, then drop it in a later release"
    )


RULE = Rule("ban-drop-table", Severity.WARNING, "dropping a table breaks clients and loses its data", check)
