"""What `luneo db reset` drops before applying again: what the project made, nothing else.

What the project made is read from its own SQL files with the parser: the schemas its
`create schema` statements create, and the policies and triggers it creates on tables of
schemas it does not drop (`storage.objects`, `auth.users`). To that come `public`, emptied
(its objects go, the schema and its grants stay), the stand-in's schemas where `auth` is the
stand-in, and the ledger's rows, as `supabase db reset` truncates `supabase_migrations`.
The platform's schemas (`SUPABASE_SCHEMAS`) are never dropped where `auth` is Supabase's, even
when a project file says `create schema if not exists extensions`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from luneo.core import db
from luneo.core.compat import SUPABASE_SCHEMAS, compat_files
from luneo.core.migrations.files import Project, SqlFile
from luneo.core.migrations.queries import QUERIES

log = logging.getLogger(__name__)

LEDGER_SCHEMA = "supabase_migrations"

Named = tuple[str, str, str]
"""`(schema, table, name)` of a policy or a trigger."""


@dataclass
class Made:
    """What `create` statements of some SQL files make."""

    schemas: set[str] = field(default_factory=set)
    policies: set[Named] = field(default_factory=set)
    triggers: set[Named] = field(default_factory=set)


def made_by(files: Iterable[SqlFile]) -> Made:
    from pglast import ast

    made = Made()
    for f in files:
        for stmt in f.statements:
            node = stmt.node
            if isinstance(node, ast.CreateSchemaStmt):
                name = node.schemaname or (node.authrole and node.authrole.rolename)
                made.schemas.update([name] if name else [])
            elif isinstance(node, ast.CreatePolicyStmt):
                made.policies.add(_named(node.table, node.policy_name))
            elif isinstance(node, ast.CreateTrigStmt):
                made.triggers.add(_named(node.relation, node.trigname))
    return made


def _named(table: Any, name: str) -> Named:
    """An unqualified table is taken to be in `public`, the first schema of Supabase's path."""
    return (table.schemaname or "public", table.relname, name)


def drop_project(conn: db.Connection, project: Project) -> list[str]:
    """Drop what the project made and clear the ledger, in one transaction; the schemas dropped."""
    made = made_by([*project.versioned, *project.repeatable])
    schemas = made.schemas - {"public", LEDGER_SCHEMA}
    if conn.scalar(QUERIES["has_auth_schema"]) and conn.scalar(QUERIES["auth_is_compat"]):
        schemas |= made_by(SqlFile("compat", cf.key, cf.text) for cf in compat_files()).schemas
    else:
        schemas -= set(SUPABASE_SCHEMAS)
    dropped = []
    with conn.transaction():
        for schema, statement in conn.execute(QUERIES["droppable_schemas"], {"schemas": sorted(schemas)}):
            log.info("dropping schema %s", schema, extra={"action": "reset", "schema": schema})
            conn.run_sql(statement)
            dropped.append(schema)
        _run_all(conn, "drop_named_policies", _columns(made.policies))
        _run_all(conn, "drop_named_triggers", _columns(made.triggers))
        _run_all(conn, "drop_public_objects")
        _run_all(conn, "truncate_ledger")
    return dropped


def _columns(named: set[Named]) -> dict[str, list[str]]:
    rows = sorted(named)
    return {"schemas": [r[0] for r in rows], "tables": [r[1] for r in rows], "names": [r[2] for r in rows]}


def _run_all(conn: db.Connection, query: str, params: dict[str, list[str]] | None = None) -> None:
    """Run each statement the named query returns."""
    for (statement,) in conn.execute(QUERIES[query], params):
        conn.run_sql(statement)
