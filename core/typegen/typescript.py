"""`luneo gen types typescript`: the `Database` type supabase-js takes, from the catalog.

The output has the shape of `supabase gen types typescript` (postgres-meta's TypeScript
generator, with one-to-one relationship detection on, as the Supabase CLI runs it), so a
frontend keeps compiling when it switches generators: the `__InternalSupabase` marker when a
PostgREST version is given; per schema `Tables`, `Views` (with the relationships they expose),
`Functions`, `Enums` and `CompositeTypes`; then the `Tables<>`, `TablesInsert<>`,
`TablesUpdate<>`, `Enums<>`, `CompositeTypes<>` helpers and the `Constants` object. Everything
is sorted by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from importlib import resources
from typing import TypeVar

from luneo.core.typegen.catalog import Catalog, Column, Function, PgType, Relation, Relationship
from luneo.core.typegen.render import Array, Field, Obj, Type, Union, key, lines, nullable, string

T = TypeVar("T")

NUMBER = {"int2", "int4", "int8", "float4", "float8", "numeric"}
STRING = {
    "bytea",
    "bpchar",
    "varchar",
    "date",
    "text",
    "citext",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "uuid",
    "vector",
    "interval",
}
# PostgREST calls a function with one unnamed argument only when it is json, jsonb or text
UNNAMED_ARG_TYPES = {"json", "jsonb", "text"}
DEFAULT_SCHEMA = "public"

JSON_TYPE = resources.files(__package__).joinpath("json.ts").read_text(encoding="utf-8")
"""`Json`, as the Supabase generator writes it."""
HELPERS = resources.files(__package__).joinpath("helpers.ts").read_text(encoding="utf-8")
"""`Tables<>`, `TablesInsert<>`, ... as the Supabase generator writes them; `$DEFAULT` is the
default schema."""


def sort_key(name: str) -> tuple[tuple[int, str], ...]:
    """Close to JavaScript's `localeCompare`, which the Supabase generator sorts with:
    case-insensitive, punctuation before digits before letters."""
    return tuple((0 if not c.isalnum() else 1 if c.isdigit() else 2, c.casefold()) for c in name)


def by_name(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: (sort_key(name(item)), name(item)))


class Generator:
    def __init__(self, catalog: Catalog, postgrest_version: str | None = None) -> None:
        self.catalog = catalog
        self.postgrest_version = postgrest_version
        self.schemas = by_name(catalog.schemas, str)
        self.types = catalog.types
        self.relations = {r.id: r for r in catalog.relations}

    # -- types ------------------------------------------------------------------------------

    def ts(self, type_id: int, schema: str) -> Type:
        """The TypeScript type of a Postgres type, as the Supabase generator maps it."""
        t = self.types.get(type_id)
        if t is None:
            return "unknown"
        while t.kind == "d" and t.base_id in self.types:  # a domain is its base type
            t = self.types[t.base_id]
        if t.element_id is not None:
            return Array(self.ts(t.element_id, schema))
        if t.schema == "pg_catalog" or t.kind == "b":
            return self._base(t.name)
        if t.enum_labels:
            if t.schema in self.schemas:
                return f'Database[{string(t.schema)}]["Enums"][{string(t.name)}]'
            return Union(tuple(string(label) for label in t.enum_labels))
        if t.relation_kind == "c":
            if t.schema in self.schemas:
                return f'Database[{string(t.schema)}]["CompositeTypes"][{string(t.name)}]'
            return "unknown"
        if t.relation_kind in ("r", "p", "v", "m") and t.schema in self.schemas:
            group = "Tables" if t.relation_kind in ("r", "p") else "Views"
            return f'Database[{string(t.schema)}][{string(group)}][{string(t.name)}]["Row"]'
        return self._base(t.name)

    @staticmethod
    def _base(name: str) -> str:
        if name == "bool":
            return "boolean"
        if name in NUMBER:
            return "number"
        if name in STRING:
            return "string"
        if name in ("json", "jsonb"):
            return "Json"
        if name == "void":
            return "undefined"
        if name == "record":
            return "Record<string, unknown>"
        return "unknown"

    def is_row_type(self, type_id: int) -> PgType | None:
        t = self.types.get(type_id)
        return t if t is not None and t.relation_id is not None else None

    # -- tables and views ---------------------------------------------------------------------

    def column(self, c: Column, schema: str, *, optional: bool = False, force_null: bool = False) -> Field:
        t = self.ts(c.type_id, schema)
        return Field(c.name, nullable(t) if c.is_nullable or force_null else t, optional)

    def columns(self, relation: Relation) -> list[Column]:
        return by_name(relation.columns, lambda c: c.name)

    def row(self, relation: Relation, functions: list[Function]) -> Obj:
        fields = [self.column(c, relation.schema) for c in self.columns(relation)]
        # computed fields: a function of the row (one unnamed argument of its type)
        for fn in functions:
            if fn.argument_types == relation.name:
                fields.append(Field(fn.name, nullable(self.returns(fn, relation.schema))))
        return Obj(tuple(fields))

    def insert(self, relation: Relation) -> Obj:
        fields = []
        for c in self.columns(relation):
            if c.identity == "a" or c.generated:
                fields.append(Field(c.name, "never", optional=True))
            else:
                optional = c.is_nullable or bool(c.identity) or c.has_default
                fields.append(self.column(c, relation.schema, optional=optional))
        return Obj(tuple(fields))

    def update(self, relation: Relation) -> Obj:
        fields = []
        for c in self.columns(relation):
            if c.identity == "a" or c.generated:
                fields.append(Field(c.name, "never", optional=True))
            else:
                fields.append(self.column(c, relation.schema, optional=True))
        return Obj(tuple(fields))

    def view_write(self, relation: Relation) -> Obj:
        return Obj(
            tuple(
                self.column(c, relation.schema, optional=True, force_null=True)
                if c.is_updatable
                else Field(c.name, "never", optional=True)
                for c in self.columns(relation)
            )
        )

    def relationships(self, relation: Relation) -> list[str]:
        # as the Supabase generator: only relationships within the relation's schema, sorted by
        # key name, referenced relation and referenced columns (stably: views' after tables')
        found = [
            r
            for r in self.catalog.relationships
            if r.schema == relation.schema
            and r.relation == relation.name
            and r.referenced_schema == relation.schema
        ]
        found.sort(
            key=lambda r: (
                sort_key(r.foreign_key_name),
                sort_key(r.referenced_relation),
                sort_key(json.dumps(r.referenced_columns, separators=(",", ":"), ensure_ascii=False)),
            )
        )
        if not found:
            return ["Relationships: []"]
        out = ["Relationships: ["]
        for r in found:
            out += [f"  {line}" for line in relationship(r)]
        return [*out, "]"]

    # -- functions ----------------------------------------------------------------------------

    def exposed(self, fn: Function) -> bool:
        """Whether the Supabase generator lists the function (PostgREST can call it)."""
        args = fn.in_args
        unnamed = [a for a in args if not a.name]
        if not unnamed:
            return True
        if all(a.has_default and self.type_name(a.type_id) in UNNAMED_ARG_TYPES for a in unnamed):
            return True
        return len(args) == 1 and (
            self.type_name(args[0].type_id) in UNNAMED_ARG_TYPES
            or self.is_row_type(args[0].type_id) is not None
        )

    def type_name(self, type_id: int) -> str | None:
        t = self.types.get(type_id)
        return t.name if t else None

    def return_table_name(self, fn: Function) -> str | None:
        rel_id = fn.return_type_relation_id
        if rel_id is None:
            return None
        if rel_id in self.relations:
            return self.relations[rel_id].name
        t = self.is_row_type(fn.return_type_id)
        return t.name if t else None

    def returns(self, fn: Function, schema: str) -> Type:
        table_args = [a for a in fn.args if a.mode == "t"]
        if table_args:
            return Obj(
                tuple(
                    Field(a.name, self.ts(a.type_id, schema)) for a in by_name(table_args, lambda a: a.name)
                )
            )
        relation = self.relations.get(fn.return_type_relation_id or 0)
        if relation is not None and relation.schema == schema:
            return Obj(tuple(self.column(c, schema) for c in self.columns(relation)))
        return self.ts(fn.return_type_id, schema)

    def args(self, fn: Function, schema: str) -> Type:
        args = by_name(fn.in_args, lambda a: a.name)
        if not args:
            return "never"
        return Obj(
            tuple(Field(a.name, self.ts(a.type_id, schema), a.has_default) for a in args),
            expand=False,
        )

    def setof_options(self, fn: Function) -> list[str]:
        table = self.return_table_name(fn)
        many = fn.prorows is not None and fn.prorows > 1
        options: tuple[str, str, bool, bool] | None = None
        if table:
            options = ("*", table, not many, fn.is_set_returning)
        source = self.is_row_type(fn.args[0].type_id) if len(fn.args) == 1 else None
        if source is not None and table:
            if fn.is_set_returning and fn.return_type_relation_id is not None:
                options = (source.formatted, table, not many, True)
            else:
                options = (source.formatted, table, True, False)
        if options is None:
            return []
        origin, target, one, setof = options
        return [
            "SetofOptions: {",
            f"  from: {string(origin)}",
            f"  to: {string(target)}",
            f"  isOneToOne: {str(one).lower()}",
            f"  isSetofReturn: {str(setof).lower()}",
            "}",
        ]

    def conflict(self, schema: str, fn: Function, overloads: list[Function]) -> str | None:
        """Overloads PostgREST cannot choose between, as the Supabase generator reports them."""
        if len(overloads) <= 1:
            return None
        args = fn.in_args
        if not args:
            for other in overloads:
                o = other.in_args
                if other is not fn and len(o) == 1 and not o[0].name and o[0].has_default:
                    returned = self.type_name(other.return_type_id) or "unknown"
                    return (
                        f"Could not choose the best candidate function between: {schema}.{fn.name}(), "
                        f"{schema}.{fn.name}( => {returned}). Try renaming the parameters or the function "
                        "itself in the database so function overloading can be resolved"
                    )
        if len(args) == 1 and args[0].name:
            clashing = [
                other
                for other in overloads
                if other is not fn
                and len(other.in_args) == 1
                and other.in_args[0].name == args[0].name
                and other.in_args[0].type_id != args[0].type_id
            ]
            if clashing:
                every = sorted([fn, *clashing], key=lambda f: f.in_args[0].type_id)
                listed = ", ".join(
                    f"{schema}.{fn.name}("
                    + ", ".join(f"{a.name} => {self.type_name(a.type_id) or 'unknown'}" for a in f.in_args)
                    + ")"
                    for f in every
                )
                return (
                    f"Could not choose the best candidate function between: {listed}. Try renaming the "
                    "parameters or the function itself in the database so function overloading can be "
                    "resolved"
                )
        return None

    def signature(self, schema: str, fn: Function, overloads: list[Function]) -> list[str]:
        """`Args`, `Returns` (and `SetofOptions`) of one definition, one property a line."""
        args = self.args(fn, schema)
        error = self.conflict(schema, fn, overloads)
        in_args = fn.in_args
        if (
            error is None
            and len(in_args) == 1
            and not in_args[0].name
            and self.is_row_type(in_args[0].type_id)
            and not self.return_table_name(fn)
        ):  # a computed field returning a scalar: PostgREST does not call it as a function
            error = (
                f"the function {schema}.{fn.name} with parameter or with a single unnamed json/jsonb "
                "parameter, but no matches were found in the schema cache"
            )
        out = lines("Args: ", args, "")
        if error is not None:
            return [*out, "Returns: {", "  error: true", "} & " + string(error)]
        returned = self.returns(fn, schema)
        table = self.return_table_name(fn)
        many = fn.prorows is not None and fn.prorows > 1
        collapse = not many and table is not None
        if fn.is_set_returning and not collapse:
            returned = Array(returned)
        return [*out, *lines("Returns: ", returned, ""), *self.setof_options(fn)]

    def functions_block(self, schema: str, functions: list[Function]) -> list[str]:
        grouped: dict[str, list[Function]] = {}
        for fn in functions:
            grouped.setdefault(fn.name, []).append(fn)
        out = []
        for name, fns in grouped.items():
            fns.sort(key=lambda f: (sort_key(f.argument_types), sort_key(f.return_type)))
            if len(fns) == 1:
                out += [f"{key(name)}: {{", *indent(self.signature(schema, fns[0], fns), 1), "}"]
                continue
            out.append(f"{key(name)}:")
            for fn in fns:
                out += ["  | {", *indent(self.signature(schema, fn, fns), 2), "    }"]
        return out

    # -- the file -----------------------------------------------------------------------------

    def schema_block(self, schema: str) -> list[str]:
        relations = by_name([r for r in self.catalog.relations if r.schema == schema], lambda r: r.name)
        functions = by_name(
            [f for f in self.catalog.functions if f.schema == schema and self.exposed(f)], lambda f: f.name
        )
        tables, views = [], []
        for r in relations:
            body = [*lines("Row: ", self.row(r, functions), "")]
            if r.is_table:
                body += lines("Insert: ", self.insert(r), "") + lines("Update: ", self.update(r), "")
            elif r.is_updatable:
                body += lines("Insert: ", self.view_write(r), "") + lines("Update: ", self.view_write(r), "")
            body += self.relationships(r)
            (tables if r.is_table else views).extend([f"{key(r.name)}: {{", *indent(body, 1), "}"])
        types = by_name([t for t in self.types.values() if t.schema == schema], lambda t: t.name)
        enums: list[str] = []
        for t in types:
            if t.enum_labels:
                enums += lines(f"{key(t.name)}: ", Union(tuple(string(v) for v in t.enum_labels)), "")
        composites: list[str] = []
        for t in types:
            if t.attributes:
                fields = tuple(Field(name, nullable(self.ts(tid, schema))) for name, tid in t.attributes)
                composites += lines(f"{key(t.name)}: ", Obj(fields), "")
        out = [f"{key(schema)}: {{"]
        for title, body in (
            ("Tables", tables),
            ("Views", views),
            ("Functions", self.functions_block(schema, functions)),
            ("Enums", enums),
            ("CompositeTypes", composites),
        ):
            out += indent([f"{title}: {{", *indent(body or ["[_ in never]: never"], 1), "}"], 1)
        return [*out, "}"]

    def constants(self) -> list[str]:
        out = ["export const Constants = {"]
        for schema in self.schemas:
            enums = by_name(
                [t for t in self.types.values() if t.schema == schema and t.enum_labels], lambda t: t.name
            )
            body = []
            for t in enums:
                values = [string(v) for v in t.enum_labels]
                one = f"{key(t.name)}: [{', '.join(values)}],"
                if len("      " + one) <= 80:
                    body.append(one)
                else:
                    body += [f"{key(t.name)}: [", *[f"  {v}," for v in values], "],"]
            if body:
                out += indent([f"{key(schema)}: {{", "  Enums: {", *indent(body, 2), "  },", "},"], 1)
            else:
                out += indent([f"{key(schema)}: {{", "  Enums: {},", "},"], 1)
        return [*out, "} as const"]

    def internal(self) -> list[str]:
        """`__InternalSupabase`, when the PostgREST version is known: createClient<Database>
        then takes the version's options (supabase-js enables what that PostgREST supports)."""
        if not self.postgrest_version:
            return []
        return [
            "// Allows to automatically instantiate createClient with right options",
            "// instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)",
            "__InternalSupabase: {",
            f"  PostgrestVersion: {string(self.postgrest_version)}",
            "}",
        ]

    def file(self) -> str:
        out = [JSON_TYPE, "export type Database = {", *indent(self.internal(), 1)]
        for schema in self.schemas:
            out += indent(self.schema_block(schema), 1)
        out += ["}", "", HELPERS.replace("$DEFAULT", string(DEFAULT_SCHEMA)), *self.constants()]
        return "\n".join(out) + "\n"


def relationship(r: Relationship) -> list[str]:
    def names(cols: tuple[str, ...]) -> str:
        return "[" + ", ".join(string(c) for c in cols) + "]"

    return [
        "{",
        f"  foreignKeyName: {string(r.foreign_key_name)}",
        f"  columns: {names(r.columns)}",
        f"  isOneToOne: {str(r.is_one_to_one).lower()}",
        f"  referencedRelation: {string(r.referenced_relation)}",
        f"  referencedColumns: {names(r.referenced_columns)}",
        "},",
    ]


def indent(block: list[str], levels: int) -> list[str]:
    pad = "  " * levels
    return [pad + line if line else line for line in block]


def generate(catalog: Catalog, postgrest_version: str | None = None) -> str:
    """The TypeScript file for the catalog's schemas; with `postgrest_version`, `Database` starts
    with the `__InternalSupabase` marker, as `supabase gen types typescript` writes it."""
    return Generator(catalog, postgrest_version).file()
