"""``ban-char-type``: ``char(n)`` columns, which pad with blanks."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import builtin_type, column_definitions, column_location
from luneo.core.checks.registry import Context, Hit, Rule


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    for name, column in column_definitions(stmt):
        if builtin_type(column) == "bpchar":
            yield Hit(
                f"column {name} is char(n), which pads with blanks; use text (with a check "
                "constraint on length if needed)",
                column_location(column),
            )


RULE = Rule("ban-char-type", Severity.WARNING, "char(n) column", check)
