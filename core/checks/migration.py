"""The engine of :func:`lint_migration`: parse once, run every registered rule per statement.

pglast is the real Postgres parser, so a syntax error comes back as one ``syntax-error``
finding, never an exception. Anything done to a table created earlier in the same file is
considered safe: nobody can depend on it yet and it holds no rows.
"""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast, parse_sql
from pglast.parser import ParseError

import luneo.core.checks.rules  # noqa: F401  (registers every rule, in its stated order)
from luneo.core.checks.directives import Source
from luneo.core.checks.findings import Finding
from luneo.core.checks.nodes import created_table, qualified, rls_enabled_tables
from luneo.core.checks.registry import INVALID_DIRECTIVE, REGISTRY, SYNTAX_ERROR, Context
from luneo.core.migrations.files import syntax_error_line

__all__ = ["lint_migration"]


def lint_migration(path: str, sql: str) -> list[Finding]:
    """Check one versioned migration; ``path`` is only copied into the findings.

    Findings come sorted by line. A file that does not parse yields exactly one
    ``syntax-error`` finding.
    """
    try:
        statements = parse_sql(sql)
        source = Source.read(sql, REGISTRY.keys())
    except ParseError as error:
        return [_syntax_error(path, sql, error)]
    ctx = Context(rls_tables=rls_enabled_tables(statements))
    findings = [
        Finding(path, line, INVALID_DIRECTIVE.id, INVALID_DIRECTIVE.severity, message)
        for line, message in source.problems
    ]
    for raw in statements:
        findings.extend(_statement_findings(path, raw, source, ctx))
        _record(raw.stmt, ctx)
    return sorted(findings, key=lambda finding: finding.line)


def _syntax_error(path: str, sql: str, error: ParseError) -> Finding:
    message = str(error.args[0]) if error.args else "syntax error"
    line = syntax_error_line(sql, error)
    return Finding(
        path,
        line,
        SYNTAX_ERROR.id,
        SYNTAX_ERROR.severity,
        f"{message}; fix it, nothing else in this file was checked",
    )


def _statement_findings(path: str, raw: ast.RawStmt, source: Source, ctx: Context) -> Iterator[Finding]:
    start = source.statement_line(raw.stmt_location)
    for rule in REGISTRY.values():
        if rule.check is None:
            continue
        for hit in rule.check(raw.stmt, ctx):
            line = start if hit.location is None else source.line(hit.location)
            if not source.suppressed(rule.id, start, line):
                yield Finding(path, line, rule.id, hit.severity or rule.severity, hit.message)


def _record(stmt: ast.Node, ctx: Context) -> None:
    """Remember what the statement created, for the statements after it."""
    table = created_table(stmt)
    if table is not None:
        ctx.created_tables.add(qualified(table))
