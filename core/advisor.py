"""A database advisor in the spirit of Supabase's splinter lints.

Each rule is one query in `core/advisor.sql` (section `advisor_<rule>`) returning rows
`(name, level, object, detail)`. Only the schemas Luneo owns are examined: system schemas,
the Supabase-owned schemas and objects that belong to extensions are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from luneo.core import db
from luneo.core.migrate import SUPABASE_SCHEMAS

__all__ = ["LEVELS", "RULES", "Advice", "advise"]

LEVELS = ("ERROR", "WARN", "INFO")
"""Levels, most severe first."""

RULES: dict[str, str] = {
    "rls_disabled_in_public": "a table in the exposed schema (public) without row level security",
    "policy_exists_rls_disabled": "a table with policies whose row level security is disabled",
    "security_definer_view": "a view in public without security_invoker = true",
    "auth_rls_initplan": "a policy calling auth.<fn>() or current_setting() per row, not as (select ...)",
    "function_search_path_mutable": "a function without a fixed search_path",
    "multiple_permissive_policies": "more than one permissive policy for the same table, role and command",
    "security_definer_function_exposed": "a security definer function in public that the API roles can call",
    "extension_in_public": "an extension installed in the public schema",
    "unindexed_foreign_keys": "a foreign key whose columns do not lead any index",
    "rls_enabled_no_policy": "a table with row level security enabled and no policy",
}
"""Every rule, with a one-line description."""


@dataclass(frozen=True)
class Advice:
    """One finding: which rule, how serious, on which object, and what to do."""

    rule: str
    level: str
    object: str
    detail: str


def advise(conn: db.Connection) -> list[Advice]:
    """Run every rule; findings sorted by level (most severe first), then rule, then object."""
    excluded = {"excluded": list(SUPABASE_SCHEMAS)}
    params = {"schemas": conn.execute(db.query("advisor_schemas"), excluded).fetchone()[0]}
    found: list[Advice] = []
    for rule in RULES:
        with conn.cursor() as cur:
            cur.execute(db.query(f"advisor_{rule}"), params)
            found.extend(Advice(*row) for row in cur.fetchall())
    return sorted(found, key=lambda a: (LEVELS.index(a.level), a.rule, a.object, a.detail))
