"""What the TypeScript generator needs from the catalog, read with the queries of catalog.sql."""

from __future__ import annotations

from dataclasses import dataclass, field

from luneo.core import db
from luneo.core.typegen import views

QUERIES = db.Queries.load("luneo.core.typegen")


@dataclass(frozen=True)
class Column:
    relation_id: int
    name: str
    type_id: int
    is_nullable: bool
    has_default: bool
    identity: str  # 'a' (always), 'd' (by default) or ''
    generated: str  # 's' (stored), 'v' (virtual) or ''
    is_updatable: bool


@dataclass(frozen=True)
class Relation:
    id: int
    schema: str
    name: str
    kind: str  # pg_class.relkind: r, p, f (tables), v, m (views)
    is_updatable: bool
    columns: tuple[Column, ...] = ()

    @property
    def is_table(self) -> bool:
        return self.kind in ("r", "p", "f")


@dataclass(frozen=True)
class Relationship:
    """A foreign key seen from `relation` (a table, or a view exposing the key's columns) to
    `referenced_relation` (a table, or a view exposing the referenced columns)."""

    foreign_key_name: str
    schema: str
    relation: str
    columns: tuple[str, ...]
    referenced_schema: str
    referenced_relation: str
    referenced_columns: tuple[str, ...]
    is_one_to_one: bool


@dataclass(frozen=True)
class Arg:
    mode: str  # i, o, b (inout), v (variadic), t (returns table)
    name: str
    type_id: int
    has_default: bool

    @property
    def is_input(self) -> bool:
        return self.mode in ("i", "b", "v")


@dataclass(frozen=True)
class Function:
    id: int
    schema: str
    name: str
    args: tuple[Arg, ...]
    argument_types: str  # pg_get_function_arguments
    return_type: str  # pg_get_function_result
    return_type_id: int
    return_type_relation_id: int | None
    is_set_returning: bool
    prorows: float | None

    @property
    def in_args(self) -> tuple[Arg, ...]:
        return tuple(a for a in self.args if a.is_input)


@dataclass(frozen=True)
class PgType:
    id: int
    schema: str
    name: str
    formatted: str
    kind: str  # pg_type.typtype: b, c, d, e, p, r, m
    element_id: int | None
    base_id: int | None
    relation_id: int | None
    relation_kind: str | None
    enum_labels: tuple[str, ...]
    attributes: tuple[tuple[str, int], ...]


@dataclass
class Catalog:
    schemas: list[str]
    relations: list[Relation]
    relationships: list[Relationship]
    functions: list[Function]
    types: dict[int, PgType] = field(default_factory=dict)


def read(conn: db.Connection, schemas: list[str]) -> Catalog:
    """The requested schemas' relations, foreign keys (those of tables, and those views expose:
    luneo.core.typegen.views) and functions, and every type."""
    params = {"schemas": schemas}
    columns: dict[int, list[Column]] = {}
    for row in conn.execute(QUERIES["typegen_columns"], params):
        column = Column(*row)
        columns.setdefault(column.relation_id, []).append(column)
    relations = [
        Relation(id, schema, name, kind, bool(updatable), tuple(columns.get(id, ())))
        for id, schema, name, kind, updatable in conn.execute(QUERIES["typegen_relations"], params)
    ]
    foreign_keys = []
    for row in conn.execute(QUERIES["typegen_relationships"], params):
        name, schema, rel, cols, ref_schema, ref_rel, ref_cols, one, *keys = row
        rel_id, attnums, ref_id, ref_attnums = keys
        relationship = Relationship(name, schema, rel, tuple(cols), ref_schema, ref_rel, tuple(ref_cols), one)
        foreign_keys.append(
            views.ForeignKey(relationship, rel_id, tuple(attnums), ref_id, tuple(ref_attnums))
        )
    view_list = [
        views.View(id, schema, name, definition, dict(zip(attnums, names, strict=True)))
        for id, schema, name, definition, attnums, names in conn.execute(QUERIES["typegen_views"], params)
    ]
    relationships = [fk.relationship for fk in foreign_keys]
    relationships += views.relationships(foreign_keys, view_list)
    functions = []
    for row in conn.execute(QUERIES["typegen_functions"], params):
        fid, schema, name, modes, names, type_ids, first_default, *rest = row
        args, inputs = [], 0
        for mode, arg_name, type_id in zip(modes, names, type_ids, strict=True):
            has_default = mode in ("i", "b", "v") and inputs >= first_default
            inputs += mode in ("i", "b", "v")
            args.append(Arg(mode, arg_name or "", type_id, has_default))
        functions.append(Function(fid, schema, name, tuple(args), *rest))
    types = {}
    for row in conn.execute(QUERIES["typegen_types"]):
        *head, labels, attribute_names, attribute_types = row
        types[row[0]] = PgType(
            *head, tuple(labels), tuple(zip(attribute_names, attribute_types, strict=True))
        )
    existing = [name for (name,) in conn.execute(QUERIES["typegen_schemas"], params)]
    return Catalog(existing, relations, relationships, functions, types)
