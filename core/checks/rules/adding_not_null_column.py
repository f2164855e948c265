"""``adding-not-null-column``: a not null column without a default fails on a table with rows."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import column_location, existing_table_commands
from luneo.core.checks.registry import Context, Hit, Rule

_DEFAULTS = {ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED}
_NOT_NULL = {ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY}


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    for cmd in existing_table_commands(stmt, ctx, AlterTableType.AT_AddColumn):
        column: ast.ColumnDef = cmd.def_
        kinds = {constraint.contype for constraint in column.constraints or ()}
        if (column.is_not_null or kinds & _NOT_NULL) and not kinds & _DEFAULTS:
            yield Hit(
                f"column {column.colname} is added not null without a default, which fails on "
                "a table with rows; give it a default, or add it nullable and backfill first",
                column_location(column),
            )


RULE = Rule(
    "adding-not-null-column",
    Severity.ERROR,
    "add column ... not null without a default fails on a table that has rows",
    check,
)
