"""Foreign-key relationships through views, derived the way PostgREST derives them for embedding
(and postgres-meta's generator after it).

A view's rewrite rule holds its parsed query; each entry of the query's target list names the
table column the view column comes from (`resorigtbl`, `resorigcol`; Postgres resolves them
through joins, subqueries and CTEs). A view over a view names the inner view's column, so the
origins are followed from view to view. Then a foreign key whose columns a view exposes all of
gives the view the relationship:

- from the view, when it exposes the referencing columns (`columns` are the view's);
- to the view, when it exposes the referenced columns (`referencedRelation` is the view);
- from one view to another, when one exposes each side.

A view exposing one key column under several names gives one relationship per combination.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # catalog.py reads the views through this module
    from luneo.core.typegen.catalog import Relationship

# pg_node_tree text, as Postgres' own reader splits it: a bracket, or a run of other
# characters up to whitespace or a bracket, a backslash escaping the character after it
_TOKEN = re.compile(r"[(){}]|(?:\\.|[^\s(){}\\])+", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NULL = "<>"


class _Field(str):
    """A `:name` token: the field whose value follows (or a value that starts with a colon)."""


def read_node_tree(text: str) -> Any:
    """A pg_node_tree as Python values: a node `{NAME :field value ...}` as a dict (its type
    under "node"), a list `(...)` as a list, `<>` as None, any other token as its string. A field
    with several tokens (a constant's bytes) holds them as a list.

    Iterative, so deep expressions do not exhaust Python's recursion limit."""
    stack: list[list[Any]] = [[]]
    for token in _TOKEN.findall(text):
        if token in ("(", "{"):
            stack.append([token])
        elif token in (")", "}"):
            opening, *items = stack.pop()
            stack[-1].append(items if opening == "(" else _node(items))
        elif token == _NULL:
            stack[-1].append(None)
        elif token.startswith(":"):
            stack[-1].append(_Field(token))
        else:
            stack[-1].append(_ESCAPE.sub(r"\1", token))
    (tree,) = stack[0]
    return tree


def _node(items: list[Any]) -> dict[str, Any]:
    name, *rest = items
    node: dict[str, Any] = {"node": name}
    field, values = None, []
    for item in rest:
        # Postgres writes at least one token for every field (`<>` for null), so a `:name` right
        # after a field is its value: a column named ":resno" (names are written unquoted)
        if isinstance(item, _Field) and (field is None or values):
            if field is not None:
                node[field] = _value(values)
            field, values = item[1:], []
        else:
            values.append(str(item) if isinstance(item, _Field) else item)
    if field is not None:
        node[field] = _value(values)
    return node


def _value(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values or None


@dataclass(frozen=True)
class View:
    """A view or materialized view: its rewrite rule's query text and its columns by number."""

    id: int
    schema: str
    name: str
    definition: str
    columns: dict[int, str]


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key's relationship between tables, with the attribute numbers of both sides."""

    relationship: Relationship
    relation_id: int
    attnums: tuple[int, ...]
    referenced_relation_id: int
    referenced_attnums: tuple[int, ...]


Origin = tuple[int, int]
"""A column: its relation's oid and its attribute number."""


def direct_origins(view: View) -> dict[int, Origin]:
    """Each view column the query takes straight from a relation's column, by attribute number.
    Junk entries (an ORDER BY column not selected) are not view columns."""
    (query,) = read_node_tree(view.definition)
    origins = {}
    for entry in query.get("targetList") or ():
        resno, table, column = (int(entry[f]) for f in ("resno", "resorigtbl", "resorigcol"))
        if entry["resjunk"] == "false" and table and resno in view.columns:
            origins[resno] = (table, column)
    return origins


class Exposures:
    """Which columns of the views come, directly or through other views, from which columns."""

    def __init__(self, views: Iterable[View]) -> None:
        self.views = list(views)
        direct = {(v.id, n): origin for v in self.views for n, origin in direct_origins(v).items()}
        self.origins: dict[Origin, set[Origin]] = {}
        for column, origin in direct.items():
            chain: set[Origin] = set()
            current: Origin | None = origin
            while current is not None and current not in chain:  # a view of a view of a table
                chain.add(current)
                current = direct.get(current)
            self.origins[column] = chain
        # the other way round: for a column, the names of the view columns from it, by view
        self.exposing: dict[Origin, dict[int, list[str]]] = {}
        for view in self.views:
            for n, name in sorted(view.columns.items()):
                for origin in self.origins.get((view.id, n), ()):
                    self.exposing.setdefault(origin, {}).setdefault(view.id, []).append(name)

    def columns_from(self, view: View, origin: Origin) -> list[str]:
        return self.exposing.get(origin, {}).get(view.id, [])

    def key_in(self, relation_id: int, attnums: tuple[int, ...]) -> Iterator[tuple[View, tuple[str, ...]]]:
        """Every view exposing all the key columns, with the view columns exposing them (one
        combination at a time when a key column is exposed more than once)."""
        if not attnums:
            return
        for view in self.views:
            exposed = [self.columns_from(view, (relation_id, n)) for n in attnums]
            if all(exposed):
                for columns in itertools.product(*exposed):
                    yield view, columns


def relationships(foreign_keys: list[ForeignKey], views: list[View]) -> list[Relationship]:
    """The relationships the foreign keys give views, in postgres-meta's order: per key, from
    views, then to views, then between views."""
    exposures = Exposures(views)
    found = []
    for fk in foreign_keys:
        r = fk.relationship
        sources = list(exposures.key_in(fk.relation_id, fk.attnums))
        targets = list(exposures.key_in(fk.referenced_relation_id, fk.referenced_attnums))
        found += [replace(r, schema=v.schema, relation=v.name, columns=cols) for v, cols in sources]
        found += [
            replace(r, referenced_schema=v.schema, referenced_relation=v.name, referenced_columns=cols)
            for v, cols in targets
        ]
        found += [
            replace(
                r,
                schema=v.schema,
                relation=v.name,
                columns=cols,
                referenced_schema=w.schema,
                referenced_relation=w.name,
                referenced_columns=ref_cols,
            )
            for v, cols in sources
            for w, ref_cols in targets
        ]
    return found
