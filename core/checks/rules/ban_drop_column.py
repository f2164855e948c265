"""``ban-drop-column``: dropping a column that clients may still read."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import existing_table_commands, shown
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    for cmd in existing_table_commands(stmt, ctx, AlterTableType.AT_DropColumn):
        yield Hit(
            f"dropping column {cmd.name} of {shown(stmt.relation)} breaks clients and "
            "deployed code that still use it; stop using it first, drop it in a later release"
        )


RULE = Rule("ban-drop-column", Severity.WARNING, "dropping a column breaks clients that still read it", check)
