"""Helpers over pglast's AST shared by the rules and the engine.

Unqualified names are taken to be in ``public`` (:data:`DEFAULT_SCHEMA`). Locations are
character indexes into the migration's text, as pglast reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

if TYPE_CHECKING:
    from luneo.core.checks.registry import Context

__all__ = [
    "DEFAULT_SCHEMA",
    "builtin_type",
    "column_definitions",
    "column_location",
    "created_table",
    "existing_table_commands",
    "location",
    "names",
    "qualified",
    "rls_enabled_tables",
    "shown",
    "table_commands",
]

DEFAULT_SCHEMA = "public"


def qualified(relation: ast.RangeVar) -> str:
    """``schema.name``, with the default schema when the migration left it out."""
    return f"{relation.schemaname or DEFAULT_SCHEMA}.{relation.relname}"


def shown(relation: ast.RangeVar) -> str:
    """The relation name as the migration wrote it."""
    if relation.schemaname:
        return f"{relation.schemaname}.{relation.relname}"
    return relation.relname


def location(node: ast.Node | None) -> int | None:
    """The node's character index, when pglast knows it."""
    index = getattr(node, "location", None)
    return index if isinstance(index, int) and index >= 0 else None


def names(nodes: Iterable[ast.Node] | None) -> list[str]:
    """The parts of a dotted name (``funcname``, ``typeName.names``, ``DropStmt.objects[i]``)."""
    return [node.sval for node in nodes or () if isinstance(node, ast.String)]


def table_commands(stmt: ast.Node, *subtypes: AlterTableType) -> Iterator[ast.AlterTableCmd]:
    """The commands of an ``alter table`` with one of the given subtypes."""
    if not isinstance(stmt, ast.AlterTableStmt) or stmt.objtype != ObjectType.OBJECT_TABLE:
        return
    for cmd in stmt.cmds or ():
        if isinstance(cmd, ast.AlterTableCmd) and cmd.subtype in subtypes:
            yield cmd


def existing_table_commands(
    stmt: ast.Node, ctx: Context, *subtypes: AlterTableType
) -> Iterator[ast.AlterTableCmd]:
    """Like :func:`table_commands`, skipping tables created earlier in the file."""
    if isinstance(stmt, ast.AlterTableStmt) and not ctx.is_new(stmt.relation):
        yield from table_commands(stmt, *subtypes)


def created_table(stmt: ast.Node) -> ast.RangeVar | None:
    """The table a ``create table`` (or ``create table ... as``) statement creates."""
    if isinstance(stmt, ast.CreateStmt):
        return stmt.relation
    if isinstance(stmt, ast.CreateTableAsStmt) and stmt.objtype == ObjectType.OBJECT_TABLE:
        return stmt.into.rel
    return None


def column_definitions(stmt: ast.Node) -> Iterator[tuple[str, ast.ColumnDef]]:
    """Every column definition with its name: create table/type, add column, alter type."""
    if isinstance(stmt, ast.CreateStmt):
        for element in stmt.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                yield element.colname, element
    elif isinstance(stmt, ast.CompositeTypeStmt):
        for column in stmt.coldeflist or ():
            yield column.colname, column
    add, alter = AlterTableType.AT_AddColumn, AlterTableType.AT_AlterColumnType
    for cmd in table_commands(stmt, add, alter):
        yield (cmd.def_.colname if cmd.subtype == add else cmd.name), cmd.def_


def builtin_type(column: ast.ColumnDef) -> str | None:
    """The name of a column's type when it is a built-in (``pg_catalog``) or unqualified one."""
    parts = names(column.typeName.names if column.typeName else None)
    if len(parts) == 1 or (len(parts) == 2 and parts[0] == "pg_catalog"):
        return parts[-1]
    return None


def column_location(column: ast.ColumnDef) -> int | None:
    """Where a column definition starts, else where its type does."""
    index = location(column)
    return location(column.typeName) if index is None else index


def rls_enabled_tables(statements: Sequence[ast.RawStmt]) -> frozenset[str]:
    """Every table the statements ``enable row level security`` on, schema-qualified."""
    enable = AlterTableType.AT_EnableRowSecurity
    return frozenset(
        qualified(raw.stmt.relation)
        for raw in statements
        if any(True for _ in table_commands(raw.stmt, enable))
    )
