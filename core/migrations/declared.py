"""What a repeatable file declares: its functions, triggers, views and policies, by name.

Repeatable files are declarative. After a file runs, the engine records the objects it
declares (read from the parser, resolved in the catalog to schema-qualified names, functions
by signature), so that it can

- drop what a changed file no longer declares (a removed function, or the old overload
  after an argument list changed), and everything a deleted file declared;
- re-apply a file whose objects a migration dropped (a table dropped and recreated takes its
  policies and triggers along), and have `verify` report them missing.

An object that another current file declares is never dropped: it moved, it is not gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from luneo.core import db
from luneo.core.migrations.files import Statement
from luneo.core.migrations.queries import QUERIES

KINDS = ("functions", "triggers", "views", "policies")
# function parameters that are part of its signature
_SIGNATURE_MODES = {"i", "b", "v", "d"}


@dataclass(frozen=True)
class Declared:
    """Objects by kind: functions and views as names, triggers and policies as (table, name)."""

    functions: frozenset[str] = field(default_factory=frozenset)
    views: frozenset[str] = field(default_factory=frozenset)
    triggers: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    policies: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return any(getattr(self, kind) for kind in KINDS)

    def __sub__(self, other: Declared) -> Declared:
        return Declared(**{kind: getattr(self, kind) - getattr(other, kind) for kind in KINDS})

    def __or__(self, other: Declared) -> Declared:
        return Declared(**{kind: getattr(self, kind) | getattr(other, kind) for kind in KINDS})

    def as_details(self) -> dict[str, list[Any]]:
        return {kind: sorted(map(_jsonable, getattr(self, kind))) for kind in KINDS}

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> Declared | None:
        """What the ledger recorded; None for a run by a Luneo that did not record it."""
        recorded = details.get("declares")
        if recorded is None:
            return None
        return cls(
            functions=frozenset(recorded.get("functions", ())),
            views=frozenset(recorded.get("views", ())),
            triggers=frozenset(tuple(t) for t in recorded.get("triggers", ())),
            policies=frozenset(tuple(p) for p in recorded.get("policies", ())),
        )

    def params(self) -> dict[str, list[str]]:
        """The arrays the named queries of declared.sql take."""
        return {
            "functions": sorted(self.functions),
            "views": sorted(self.views),
            "trigger_tables": [t for t, _ in sorted(self.triggers)],
            "trigger_names": [n for _, n in sorted(self.triggers)],
            "policy_tables": [t for t, _ in sorted(self.policies)],
            "policy_names": [n for _, n in sorted(self.policies)],
        }


def _jsonable(item: str | tuple[str, str]) -> str | list[str]:
    return list(item) if isinstance(item, tuple) else item


def _name(parts: list[str]) -> str:
    """A qualified name as SQL text; the parser has folded unquoted names already, so each
    part is quoted as it is."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def in_statements(statements: list[Statement]) -> Declared:
    """The objects the statements create, named as written (unqualified names stay so)."""
    from pglast import ast
    from pglast.stream import RawStream

    functions, views, triggers, policies = set(), set(), set(), set()
    for stmt in statements:
        node = stmt.node
        if isinstance(node, ast.CreateFunctionStmt):
            # a procedure's OUT parameters are part of its signature, a function's are not
            modes = _SIGNATURE_MODES | ({"o"} if node.is_procedure else set())
            args = [RawStream()(p.argType) for p in node.parameters or () if p.mode.value in modes]
            functions.add(f"{_name([n.sval for n in node.funcname])}({', '.join(args)})")
        elif isinstance(node, ast.CreateTrigStmt):
            triggers.add((_relation(node.relation), node.trigname))
        elif isinstance(node, ast.ViewStmt):
            views.add(_relation(node.view))
        elif isinstance(node, ast.CreateTableAsStmt) and node.into and node.objtype.name == "OBJECT_MATVIEW":
            views.add(_relation(node.into.rel))
        elif isinstance(node, ast.CreatePolicyStmt):
            policies.add((_relation(node.table), node.policy_name))
    return Declared(frozenset(functions), frozenset(views), frozenset(triggers), frozenset(policies))


def _relation(rv: Any) -> str:
    return _name([p for p in (rv.schemaname, rv.relname) if p])


def resolve(conn: db.Connection, written: Declared) -> dict[str, list[int]]:
    """OIDs of the declared objects, looked up with the session's current search_path."""
    oids: dict[str, list[int]] = {kind: [] for kind in KINDS}
    for kind, oid in conn.execute(QUERIES["resolve_declared"], written.params()):
        oids[kind].append(oid)
    return oids


def qualify_names(conn: db.Connection) -> None:
    """Empty the session's search_path: from then on the catalog qualifies every name."""
    conn.execute(QUERIES["set_settings"], {"names": ["search_path"], "values": [""]})


def names(conn: db.Connection, oids: dict[str, list[int]]) -> Declared:
    """Schema-qualified names of resolved objects; the session's search_path must be empty."""
    found: dict[str, set[Any]] = {kind: set() for kind in KINDS}
    for kind, name, table in conn.execute(QUERIES["declared_names"], oids):
        found[kind].add((table, name) if table else name)
    return Declared(**{kind: frozenset(v) for kind, v in found.items()})


def missing(conn: db.Connection, declared: Declared) -> list[str]:
    """`function public.f(integer)`, `trigger t on public.items`, ... that do not exist."""
    return [f"{kind} {name}" for kind, name in conn.execute(QUERIES["missing_declared"], declared.params())]


def drop(conn: db.Connection, stale: Declared) -> list[str]:
    """Drop stale functions, triggers and views (policies go with their table's policy file)."""
    dropped = []
    for name, statement in conn.execute(QUERIES["drop_declared"], stale.params()):
        conn.run_sql(statement)
        dropped.append(name)
    return dropped
