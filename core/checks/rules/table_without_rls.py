"""``table-without-rls``: a table the API exposes without row level security (house rule)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import DEFAULT_SCHEMA, created_table, qualified, shown
from luneo.core.checks.registry import Context, Hit, Rule

#: Schemas PostgREST exposes: every table created there needs row level security.
EXPOSED_SCHEMAS = frozenset({"public"})


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    table = created_table(stmt)
    if table is None or table.relpersistence == "t":
        return
    if (table.schemaname or DEFAULT_SCHEMA) not in EXPOSED_SCHEMAS:
        return
    if qualified(table) not in ctx.rls_tables:
        yield Hit(
            f"table {shown(table)} is exposed through the API without row level security; "
            f"add alter table {shown(table)} enable row level security in this migration"
        )


RULE = Rule(
    "table-without-rls",
    Severity.ERROR,
    "a table created in an exposed schema has no enable row level security in the same file",
    check,
)
