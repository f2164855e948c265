"""``prefer-identity``: ``serial`` columns, where an identity column is the standard form."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import builtin_type, column_definitions, column_location
from luneo.core.checks.registry import Context, Hit, Rule

_SERIALS = frozenset({"smallserial", "serial", "bigserial", "serial2", "serial4", "serial8"})


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    for name, column in column_definitions(stmt):
        type_name = builtin_type(column)
        if type_name in _SERIALS:
            yield Hit(
                f"column {name} is {type_name}; use bigint generated always as identity (or a uuid id)",
                column_location(column),
            )


RULE = Rule("prefer-identity", Severity.WARNING, "serial/bigserial column", check)
