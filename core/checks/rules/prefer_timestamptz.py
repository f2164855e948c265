"""``prefer-timestamptz``: ``timestamp`` (without time zone) columns."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import builtin_type, column_definitions, column_location
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    for name, column in column_definitions(stmt):
        if builtin_type(column) == "timestamp":
            yield Hit(
                f"column {name} is timestamp without time zone; use timestamptz",
                column_location(column),
            )


RULE = Rule("prefer-timestamptz", Severity.WARNING, "timestamp without time zone column", check)
