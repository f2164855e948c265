"""``changing-column-type``: a type change that can rewrite the table under lock."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import existing_table_commands, shown
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    for cmd in existing_table_commands(stmt, ctx, AlterTableType.AT_AlterColumnType):
        yield Hit(
            f"changing the type of column {cmd.name} of {shown(stmt.relation)} can rewrite "
            "the table under an access exclusive lock and break clients; add a new column, "
            "backfill it and switch over"
        )


RULE = Rule(
    "changing-column-type",
    Severity.WARNING,
    "alter column ... type on an existing table rewrites it under an exclusive lock",
    check,
)
