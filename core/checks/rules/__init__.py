"""The migration safety rules, one module per rule, each defining ``RULE``.

:data:`ORDER` is the registration order, which is the order a statement's findings are
produced in. The two rules the engine reports itself (``syntax-error``,
``invalid-lint-directive``) come last. To add a rule: write ``rules/<id_with_underscores>.py``
with a ``check`` and its ``RULE``, list it in :data:`ORDER`, and document it in
``docs/checks.md`` (a unit test compares that table with the registry).
"""

from __future__ import annotations

from luneo.core.checks.registry import INVALID_DIRECTIVE, SYNTAX_ERROR, Rule, register
from luneo.core.checks.rules import (
    adding_not_null_column,
    adding_required_constraint,
    ban_char_type,
    ban_drop_column,
    ban_drop_table,
    changing_column_type,
    if_not_exists_in_migration,
    prefer_identity,
    prefer_timestamptz,
    renaming_column,
    renaming_table,
    require_concurrent_index,
    security_definer_search_path,
    table_without_rls,
)

__all__ = ["ORDER"]

ORDER: tuple[Rule, ...] = (
    # Locks and rewrites on tables that already hold rows.
    require_concurrent_index.RULE,
    adding_not_null_column.RULE,
    adding_required_constraint.RULE,
    # Changes that break clients.
    ban_drop_column.RULE,
    ban_drop_table.RULE,
    renaming_column.RULE,
    renaming_table.RULE,
    changing_column_type.RULE,
    # House rules: security.
    table_without_rls.RULE,
    security_definer_search_path.RULE,
    # House rules: migrations and column types.
    if_not_exists_in_migration.RULE,
    prefer_timestamptz.RULE,
    ban_char_type.RULE,
    prefer_identity.RULE,
)

for _rule in (*ORDER, SYNTAX_ERROR, INVALID_DIRECTIVE):
    register(_rule)
