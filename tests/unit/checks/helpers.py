"""What the checks tests share."""

from __future__ import annotations

from luneo.core.checks import Severity, lint_migration

ERROR = Severity.ERROR
WARNING = Severity.WARNING


def lint(sql: str) -> list[tuple[str, str, int]]:
    """(rule, severity, line) of every finding, in the order the linter returns them."""
    return [(f.rule, f.severity, f.line) for f in lint_migration("m.sql", sql)]
