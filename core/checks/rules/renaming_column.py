"""``renaming-column``: a rename that breaks clients using the old name."""

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
        and stmt.renameType == ObjectType.OBJECT_COLUMN
        and not ctx.is_new(stmt.relation)
    ):
        yield Hit(
            f"renaming column {stmt.subname} of {shown(stmt.relation)} to {stmt.newname} "
            "breaks clients using the old name; add the new column, migrate, then drop the old"
        )


RULE = Rule(
    "renaming-column", Severity.WARNING, "renaming a column breaks clients that use the old name", check
)
