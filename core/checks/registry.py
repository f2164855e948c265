"""Rules of :func:`~luneo.core.checks.migration.lint_migration` and the registry that holds them.

A rule is an id, a default severity, a one-line description and a check. A check is called
once per statement of a migration with the :class:`Context` that earlier statements built; it
yields a :class:`Hit` for each problem, which the engine turns into a
:class:`~luneo.core.checks.findings.Finding` (unless a directive silences it).

The registry keeps rules in registration order, which is the order their findings are produced
in for one statement. :mod:`luneo.core.checks.rules` registers every rule, in a stated order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pglast import ast

from luneo.core.checks.findings import Severity
from luneo.core.checks.nodes import qualified

__all__ = [
    "INVALID_DIRECTIVE",
    "REGISTRY",
    "RULES",
    "SEVERITIES",
    "SYNTAX_ERROR",
    "Check",
    "Context",
    "Hit",
    "Rule",
    "register",
]


@dataclass(frozen=True)
class Hit:
    """What a check reports; the engine turns it into a Finding."""

    message: str  # one line: what is wrong and how to fix it
    location: int | None = None  # character index of the most precise node, when known
    severity: Severity | None = None  # overrides the rule's default severity


@dataclass
class Context:
    """What earlier statements of the file tell the checks (names are schema-qualified)."""

    created_tables: set[str] = field(default_factory=set)
    rls_tables: frozenset[str] = frozenset()  # tables with enable row level security in the file

    def is_new(self, relation: ast.RangeVar) -> bool:
        """Whether the table was created earlier in the same file (so nothing depends on it)."""
        return qualified(relation) in self.created_tables


Check = Callable[[ast.Node, Context], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    """A rule; ``check`` is None for the rules the engine reports itself."""

    id: str
    severity: Severity
    description: str  # one line, for docs and tooling
    check: Check | None = None


SYNTAX_ERROR = Rule("syntax-error", Severity.ERROR, "the file does not parse; nothing else was checked")
INVALID_DIRECTIVE = Rule(
    "invalid-lint-directive", Severity.WARNING, "a luneo-lint comment is malformed or names an unknown rule"
)

_rules: dict[str, Rule] = {}
_descriptions: dict[str, str] = {}
_severities: dict[str, Severity] = {}

REGISTRY: Mapping[str, Rule] = MappingProxyType(_rules)
"""Every registered rule by id, in registration order (read-only)."""
RULES: Mapping[str, str] = MappingProxyType(_descriptions)
"""Every rule id of ``lint_migration`` with a one-line description (read-only)."""
SEVERITIES: Mapping[str, Severity] = MappingProxyType(_severities)
"""Every rule id of ``lint_migration`` with its default severity (read-only)."""


def register(rule: Rule) -> Rule:
    """Add a rule after those already registered; an id can be registered only once."""
    if rule.id in _rules:
        raise ValueError(f"duplicate lint rule {rule.id}")
    _rules[rule.id] = rule
    _descriptions[rule.id] = rule.description
    _severities[rule.id] = rule.severity
    return rule
