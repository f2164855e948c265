"""``adding-required-constraint``: a foreign key or check validated under lock."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import existing_table_commands, location, shown
from luneo.core.checks.registry import Context, Hit, Rule

_VALIDATED = {ConstrType.CONSTR_FOREIGN: "foreign key", ConstrType.CONSTR_CHECK: "check"}


def check(stmt: ast.Node, ctx: Context) -> Iterator[Hit]:
    table = stmt.relation if isinstance(stmt, ast.AlterTableStmt) else None
    add_constraint, add_column = AlterTableType.AT_AddConstraint, AlterTableType.AT_AddColumn
    for cmd in existing_table_commands(stmt, ctx, add_constraint, add_column):
        inline = cmd.subtype == add_column
        constraints = (cmd.def_.constraints or ()) if inline else (cmd.def_,)
        for constraint in constraints:
            kind = _VALIDATED.get(constraint.contype)
            if kind is None or constraint.skip_validation:
                continue
            fix = (
                "declare the column without it, then add the constraint not valid"
                if inline
                else "add it not valid"
            )
            yield Hit(
                f"adding a {kind} constraint to existing table {shown(table)} checks every "
                f"row under lock; {fix} and validate constraint in a later migration",
                location(constraint),
            )


RULE = Rule(
    "adding-required-constraint",
    Severity.WARNING,
    "adding a foreign key or check to an existing table without not valid locks it while "
    "every row is checked",
    check,
)
