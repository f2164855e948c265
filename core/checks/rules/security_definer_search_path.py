"""``security-definer-search-path``: functions that resolve names through the caller's path.

A ``security definer`` function without any ``set search_path`` is an error (callers can
hijack it); any function in a house schema without ``set search_path = ''`` is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import VariableSetKind

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import DEFAULT_SCHEMA, names
from luneo.core.checks.registry import Context, Hit, Rule

#: Schemas whose functions must use ``set search_path = ''`` (house rule).
HOUSE_FUNCTION_SCHEMAS = frozenset({"public", "private"})


def _search_path_settings(stmt: ast.CreateFunctionStmt) -> list[ast.VariableSetStmt]:
    return [
        option.arg
        for option in stmt.options or ()
        if option.defname == "set"
        and isinstance(option.arg, ast.VariableSetStmt)
        and option.arg.name == "search_path"
    ]


def _is_security_definer(stmt: ast.CreateFunctionStmt) -> bool:
    return any(
        option.defname == "security" and isinstance(option.arg, ast.Boolean) and option.arg.boolval
        for option in stmt.options or ()
    )


def _is_empty_search_path(setting: ast.VariableSetStmt) -> bool:
    args = setting.args or ()
    return (
        setting.kind == VariableSetKind.VAR_SET_VALUE
        and len(args) == 1
        and isinstance(args[0], ast.A_Const)
        and isinstance(args[0].val, ast.String)
        and args[0].val.sval == ""
    )


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    if not isinstance(stmt, ast.CreateFunctionStmt):
        return
    parts = names(stmt.funcname)
    schema = parts[0] if len(parts) > 1 else DEFAULT_SCHEMA
    kind = "procedure" if stmt.is_procedure else "function"
    settings = _search_path_settings(stmt)
    if _is_security_definer(stmt) and not settings:
        yield Hit(
            f"security definer {kind} {'.'.join(parts)} has no set search_path, so callers "
            "can hijack the names it uses; add set search_path = '' and qualify every name",
            severity=Severity.ERROR,
        )
    elif schema in HOUSE_FUNCTION_SCHEMAS and not (settings and _is_empty_search_path(settings[-1])):
        yield Hit(
            f"{kind} {'.'.join(parts)} must use set search_path = '' (house rule) with fully qualified names",
            severity=Severity.WARNING,
        )


RULE = Rule(
    "security-definer-search-path",
    Severity.ERROR,
    "security definer without set search_path (error); public/private functions without "
    "set search_path = '' (warning)",
    check,
)
