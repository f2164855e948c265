"""``if-not-exists-in-migration``: ``if not exists`` hides drift in a versioned migration.

Extensions are the exception: Supabase may have installed them already.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import column_location, table_commands
from luneo.core.checks.registry import Context, Hit, Rule

_CREATE_COMMANDS: dict[type[ast.Node], str] = {
    ast.CreateStmt: "create table",
    ast.CreateTableAsStmt: "create table as",
    ast.IndexStmt: "create index",
    ast.CreateSchemaStmt: "create schema",
    ast.CreateSeqStmt: "create sequence",
}
_FIX = "drop it so a drifted database fails loudly instead of being silently skipped"


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    if isinstance(stmt, ast.CreateExtensionStmt):
        return
    if getattr(stmt, "if_not_exists", False):
        command = _CREATE_COMMANDS.get(type(stmt), "create")
        yield Hit(f"{command} if not exists papers over drift in a versioned migration; {_FIX}")
    for cmd in table_commands(stmt, AlterTableType.AT_AddColumn):
        if cmd.missing_ok:
            yield Hit(
                f"add column if not exists papers over drift in a versioned migration; {_FIX}",
                column_location(cmd.def_),
            )


RULE = Rule(
    "if-not-exists-in-migration",
    Severity.WARNING,
    "create ... if not exists in a versioned migration papers over schema drift",
    check,
)
