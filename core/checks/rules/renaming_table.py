"""``renaming-table``: a rename that breaks clients using the old name."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import shown
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    if (
        isinstance(stmt, ast.RenameStmt)
        and stmt.renameType == ObjectType.OBJECT_TABLE
        and not ctx.is_new(stmt.relation)
    ):
        yield Hit(
            f"renaming table {shown(stmt.relation)} to {stmt.newname} breaks clients using "
            "the old name; create the new table (or a view under the old name) and migrate"
        )


RULE = Rule(
    "renaming-table", Severity.WARNING, "renaming a table breaks clients that use the old name", check
)
