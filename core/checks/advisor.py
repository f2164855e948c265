"""A database advisor in the spirit of Supabase's splinter lints.

Each rule is one query in `advisor.sql` (section `advisor_<rule>`) returning rows
`(name, level, object, detail)` with level error, warning or info. Only the schemas Luneo owns
are examined: system schemas, the Supabase-owned schemas and objects that belong to extensions
are left out. Findings name the object (`public.items`) where a file finding names a path.
"""

from __future__ import annotations

from luneo.core import db
from luneo.core.checks.findings import Finding, Severity
from luneo.core.compat import SUPABASE_SCHEMAS

__all__ = ["PREFIX", "QUERIES", "RULES", "advise"]

PREFIX = "advisor:"
"""Advisor findings carry the rule id with this prefix: `advisor:rls_disabled_in_public`."""

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

QUERIES = db.Queries.load("luneo.core.checks")
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def advise(conn: db.Connection) -> list[Finding]:
    """Run every rule; findings sorted by severity (most severe first), then rule, then object."""
    schemas = conn.scalar(QUERIES["advisor_schemas"], {"excluded": list(SUPABASE_SCHEMAS)})
    found = [
        Finding(path=obj, line=0, rule=PREFIX + name, severity=Severity(level), message=detail)
        for rule in RULES
        for name, level, obj, detail in conn.execute(QUERIES[f"advisor_{rule}"], {"schemas": schemas})
    ]
    return sorted(found, key=lambda f: (_RANK[f.severity], f.rule, f.path, f.message))
