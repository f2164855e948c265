"""How a failed statement reads: `file:line: message (SQLSTATE)` with Postgres's detail."""

from __future__ import annotations

from luneo.core import db
from luneo.core.migrations.files import SqlFile, Statement


class StatementFailed(Exception):
    """A statement of a file raised; the engine decides whether to retry or to give up."""

    def __init__(self, stmt: Statement, cause: db.QueryFailed) -> None:
        super().__init__(cause.error.message)
        self.stmt = stmt
        self.cause = cause

    def describe(self, f: SqlFile) -> str:
        """`file:line: ...`, the line resolved inside a multi-line statement."""
        line = self.stmt.line
        if self.cause.error.position:
            line += self.stmt.text.count("\n", 0, self.cause.error.position - 1)
        return f"{f.rel}:{line}: {explain(self.cause)}"


def explain(exc: db.QueryFailed) -> str:
    """`message (SQLSTATE)` plus detail, hint and context when Postgres gave them."""
    e = exc.error
    parts = [f"{e.message} (SQLSTATE {e.sqlstate})"]
    parts += [f"detail: {e.detail}"] if e.detail else []
    parts += [f"hint: {e.hint}"] if e.hint else []
    if e.context and not e.position:
        parts.append(f"context: {e.context.splitlines()[0]}")
    return "; ".join(parts)
