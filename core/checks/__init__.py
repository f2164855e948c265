"""Checks behind ``luneo db lint``; every check reports :class:`Finding` objects.

Two passes over the SQL files of a project, and the security advisor over a database, share one
result type and one :class:`Severity` vocabulary (``error``, ``warning``, ``info``):

* :func:`lint_migration` checks one versioned migration for operations that are unsafe on a
  live database (long locks, failing rewrites, broken clients) and for Luneo's own rules (RLS on
  every exposed table, ``search_path = ''`` on functions). :data:`RULES` lists the rule ids
  with a one-line description, :data:`SEVERITIES` their default severity.
* :func:`lint_style` runs sqlfluff with the project's ``.sqlfluff``.
* ``advisor.advise`` runs the security advisor (``advisor.sql``, splinter-style) over a database.
* ``api.lint`` is ``luneo db lint``: all of the above for a project, what fails the lint only.

Modules:

* ``findings``: :class:`Finding` and :class:`Severity`.
* ``registry``: the ``Rule``, ``Hit`` and ``Context`` types and the registry of rules.
* ``rules/``: one module per migration rule; ``rules/__init__.py`` states their order.
* ``nodes``: helpers over pglast's AST shared by the rules.
* ``directives``: ``-- luneo-lint: ignore ...`` comments and line positions.
* ``migration``: the engine of :func:`lint_migration`.
* ``style``: the sqlfluff wrapper (sqlfluff is imported only when it runs).
* ``advisor``: the security advisor; its queries are the named queries of this package.
* ``api``: the command API the CLI calls.

The user documentation, with every rule, is ``docs/checks.md``.
"""

from __future__ import annotations

from luneo.core.checks.findings import Finding, Severity
from luneo.core.checks.migration import lint_migration
from luneo.core.checks.registry import RULES, SEVERITIES
from luneo.core.checks.style import lint_style

__all__ = ["RULES", "SEVERITIES", "Finding", "Severity", "lint_migration", "lint_style"]
