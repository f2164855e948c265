"""The frontend API docs (docs/api/*.md) against the database they describe.

The pages are written by hand; these checks make sure they name only what exists, cover everything
the API exposes, and copy no rule table without comparing it to its source.

Format the checks read (keep to it when editing the pages):

- Objects are declared by headings of level 2 to 4 (`##`, `###`, `####`), each object once across
  the pages; a declaration's section runs to the next heading of any level. Lines inside fenced
  code blocks are neither headings nor tables.

      ### Table `name`                       a table (or view) of schema public
      ### Enum `name`                        an enum type of schema public
      ### RPC `name(arg, arg = default)`     a function of schema public (POST /rpc/<name>)
      ### Function `schema.name(arg, ...)`   a function outside public (worker, PostgREST config)

  Arguments are the input argument names in order; those with a default are written
  `name = <default>` (the default text itself is for the reader, not checked). A default may be
  quoted and contain commas: `scopes = '{read,write}'`.
- A markdown table is a block of lines starting with `|`; the first is the header, the second the
  `|---|` separator; cells are split on `|` (no escaped pipes) and stripped, and backticks around a
  cell are ignored.
- Under a Table heading (before the next heading), the first table whose header starts with
  `column | type` lists every column of the table, in order, with its type: `uuid`, `text`,
  `text[]`, `timestamptz`, `jsonb`, an enum's bare name (`team_role`)... (format_type, with
  `timestamp with time zone` written `timestamptz` and `public.` left out).
- Under an Enum heading, the first table whose header starts with `value` lists every label, in order.
- In docs/api/teams.md, the permission table is the one whose header is
  `permission | description | <every team_role, in order> | requires_mfa | owner_only`: one row
  per permission, `✓` in a cell for true, an empty cell for false.
- In code examples, `.rpc('name', { ... })` names a public function, with argument names it has,
  and `.from('name')` names a public table.
- Relative links ([text](page.md#anchor)) lead to an existing page and heading (GitHub's anchors).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.support.pg import REPO

DOCS = REPO / "docs" / "api"
CHECK = "✓"

HEADING = re.compile(r"^#{1,6} ")
DECLARATION = re.compile(r"^#{2,4} (Table|Enum|RPC|Function) `([^`]+)`\s*$")
SIGNATURE = re.compile(r"^(?:(\w+)\.)?(\w+)\((.*)\)$")
RPC_CALL = re.compile(r"\.rpc\(\s*'(\w+)'(?:\s*,\s*\{([^{}]*)\})?")
FROM_CALL = re.compile(r"\.from\(\s*'(\w+)'")


# =============================================================================================
# the pages
# =============================================================================================


@dataclass
class Section:
    """One declared object: `### <kind> `<text>`` and the markdown tables under it."""

    kind: str
    text: str
    where: str
    tables: list[list[list[str]]] = field(default_factory=list)

    def table(self, *first_columns: str) -> list[list[str]]:
        """The first table whose header starts with these columns (rows, header included)."""
        for rows in self.tables:
            if [c.lower() for c in rows[0][: len(first_columns)]] == list(first_columns):
                return rows
        raise AssertionError(f"{self.where}: no `| {' | '.join(first_columns)} |` table under this heading")


@dataclass
class Signature:
    schema: str
    name: str
    args: list[str]
    defaults: int
    where: str


def cells(line: str) -> list[str]:
    return [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]


def tables_in(lines: list[str]) -> list[list[list[str]]]:
    """Markdown tables in these lines: rows of cells, header first, separator left out."""
    found: list[list[list[str]]] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 and set(block[1].replace("|", "").strip()) <= set("-: "):
            found.append([cells(block[0]), *(cells(row) for row in block[2:])])
        block = []
    return found


def prose(text: str) -> list[str]:
    """The page's lines, those of fenced code blocks blanked (a `# comment` there is no heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            lines.append("")
        else:
            lines.append("" if fenced else line)
    return lines


def pages() -> dict[str, str]:
    found = {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}
    assert found, f"no pages in {DOCS}"
    return found


def sections() -> list[Section]:
    """Every declared object of every page, with the tables up to the next heading."""
    found: list[Section] = []
    for name, text in pages().items():
        lines = prose(text)
        starts = [i for i, line in enumerate(lines) if HEADING.match(line)] + [len(lines)]
        for start, end in itertools.pairwise(starts):
            if match := DECLARATION.match(lines[start]):
                section = Section(match[1], match[2], f"docs/api/{name}:{start + 1}")
                section.tables = tables_in(lines[start + 1 : end])
                found.append(section)
    return found


def declared(kind: str) -> list[Section]:
    return [s for s in sections() if s.kind == kind]


def split_arguments(text: str) -> list[str]:
    """`a, b = '{x,y}', c = f(1, 2)` -> the three arguments (commas in quotes or brackets stay)."""
    parts, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in [*parts, current] if p.strip()]


def signature(section: Section) -> Signature:
    match = SIGNATURE.match(section.text)
    assert match, f"{section.where}: `{section.text}` is not `name(arg, arg = default)`"
    schema, name, arguments = match[1] or "public", match[2], split_arguments(match[3])
    names, defaults = [], 0
    for argument in arguments:
        argument_name, has_default, _ = argument.partition("=")
        assert re.fullmatch(r"\w+", argument_name.strip()), f"{section.where}: bad argument `{argument}`"
        assert has_default or not defaults, f"{section.where}: `{argument}` after an argument with a default"
        names.append(argument_name.strip())
        defaults += bool(has_default)
    return Signature(schema, name, names, defaults, section.where)


# =============================================================================================
# the database
# =============================================================================================


def query(db_url: str, sql: str) -> list[tuple]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql).fetchall()


def functions(db_url: str, schemas: set[str]) -> dict[tuple[str, str], list[tuple[list[str], int]]]:
    """(schema, name) -> [(input argument names, number of defaults)] per overload, extensions' left out."""
    rows = query(
        db_url,
        """
        select n.nspname, p.proname, p.pronargs, p.proargnames, p.proargmodes::text[], p.pronargdefaults
        from pg_proc as p
        inner join pg_namespace as n on n.oid = p.pronamespace
        where not exists (
            select 1 from pg_depend as d
            where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
        )
        """,
    )
    found: dict[tuple[str, str], list[tuple[list[str], int]]] = {}
    for schema, name, nargs, names, modes, defaults in rows:
        if schema not in schemas:
            continue
        names = names or [""] * nargs
        # without modes every argument is an input; otherwise keep in, inout and variadic ones
        inputs = (
            names[:nargs] if modes is None else [n for n, m in zip(names, modes, strict=True) if m in "ibv"]
        )
        found.setdefault((schema, name), []).append((inputs, defaults))
    return found


def public_tables(db_url: str) -> dict[str, list[tuple[str, str]]]:
    """Table (or view) -> [(column, type)] in column order."""
    rows = query(
        db_url,
        """
        select c.relname, a.attname, format_type(a.atttypid, null)
        from pg_class as c
        inner join pg_namespace as n on n.oid = c.relnamespace
        inner join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and not exists (
            select 1 from pg_depend as d
            where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
        )
        order by c.relname, a.attnum
        """,
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_name in rows:
        type_name = type_name.removeprefix("public.").replace("timestamp with time zone", "timestamptz")
        found.setdefault(table, []).append((column, type_name))
    return found


def public_enums(db_url: str) -> dict[str, list[str]]:
    rows = query(
        db_url,
        """
        select t.typname, array_agg(e.enumlabel::text order by e.enumsortorder)
        from pg_type as t
        inner join pg_namespace as n on n.oid = t.typnamespace
        inner join pg_enum as e on e.enumtypid = t.oid
        where n.nspname = 'public'
        group by t.typname
        """,
    )
    return {name: list(labels) for name, labels in rows}


# =============================================================================================
# the checks
# =============================================================================================


def test_each_object_is_declared_once() -> None:
    counts = Counter((s.kind, s.text.split("(")[0]) for s in sections())
    assert {key: n for key, n in counts.items() if n > 1} == {}


def test_every_public_table_is_documented_and_every_documented_table_exists(db_url: str) -> None:
    documented = {s.text for s in declared("Table")}
    tables = set(public_tables(db_url))
    assert sorted(tables - documented) == [], "tables of schema public without a `### Table` section"
    assert sorted(documented - tables) == [], "documented tables missing from schema public"


def test_documented_columns_are_the_tables_columns_in_order(db_url: str) -> None:
    tables = public_tables(db_url)
    for section in declared("Table"):
        if section.text not in tables:
            continue  # reported by the check above
        rows = section.table("column", "type")
        assert [tuple(row[:2]) for row in rows[1:]] == tables[section.text], section.where


def test_every_public_enum_is_documented_with_its_values_in_order(db_url: str) -> None:
    enums = public_enums(db_url)
    documented = {s.text: s for s in declared("Enum")}
    assert sorted(set(enums) - set(documented)) == [], (
        "enum types of schema public without an `### Enum` section"
    )
    assert sorted(set(documented) - set(enums)) == [], "documented enums missing from schema public"
    for name, section in documented.items():
        rows = section.table("value")
        assert [row[0] for row in rows[1:]] == enums[name], section.where


def test_every_public_function_is_documented_as_an_rpc(db_url: str) -> None:
    documented = {(sig.schema, sig.name) for sig in map(signature, declared("RPC"))}
    exposed = set(functions(db_url, {"public"}))
    assert sorted(name for _, name in exposed - documented) == [], (
        "functions of schema public without an RPC section"
    )


def test_documented_functions_exist_with_these_arguments(db_url: str) -> None:
    rpcs = [signature(s) for s in declared("RPC")]
    others = [signature(s) for s in declared("Function")]
    for sig in rpcs:
        assert sig.schema == "public", f"{sig.where}: an RPC is a function of schema public, unqualified"
    for sig in others:
        assert sig.schema != "public", f"{sig.where}: a function of schema public is documented as an RPC"
    existing = functions(db_url, {sig.schema for sig in rpcs + others})
    for sig in rpcs + others:
        overloads = existing.get((sig.schema, sig.name))
        assert overloads, f"{sig.where}: no function {sig.schema}.{sig.name}"
        assert (sig.args, sig.defaults) in overloads, (
            f"{sig.where}: {sig.schema}.{sig.name} takes (arguments, how many with a default) "
            f"{overloads}, not {(sig.args, sig.defaults)}"
        )


def test_examples_call_existing_functions_and_tables_with_their_argument_names(db_url: str) -> None:
    exposed = functions(db_url, {"public"})
    tables = set(public_tables(db_url))
    for page, text in pages().items():
        for call in RPC_CALL.finditer(text):
            name, body = call[1], call[2]
            line = text.count("\n", 0, call.start()) + 1
            assert ("public", name) in exposed, f"docs/api/{page}:{line}: rpc('{name}') is no public function"
            if body is None:
                continue
            given = {part.split(":")[0].strip() for part in split_arguments(body)}
            allowed = {arg for args, _ in exposed["public", name] for arg in args}
            assert given <= allowed, (
                f"docs/api/{page}:{line}: {name}() has no argument {sorted(given - allowed)}"
            )
        for call in FROM_CALL.finditer(text):
            line = text.count("\n", 0, call.start()) + 1
            assert call[1] in tables, f"docs/api/{page}:{line}: from('{call[1]}') is no public table"


def test_the_permission_table_is_the_catalogue(db_url: str) -> None:
    roles = public_enums(db_url)["team_role"]
    header = ["permission", "description", *roles, "requires_mfa", "owner_only"]
    text = (DOCS / "teams.md").read_text(encoding="utf-8")
    matching = [rows for rows in tables_in(prose(text)) if rows[0] == header]
    assert len(matching) == 1, (
        f"docs/api/teams.md needs exactly one table with the header {' | '.join(header)}"
    )

    def flag(value: str, permission: str, column: str) -> bool:
        assert value in (CHECK, ""), (
            f"docs/api/teams.md: {permission} / {column}: {value!r} is neither ✓ nor empty"
        )
        return value == CHECK

    documented: dict[str, tuple] = {}
    for row in matching[0][1:]:
        assert len(row) == len(header), f"docs/api/teams.md: the row of {row[0]} has {len(row)} cells"
        permission, description, *flags = row
        assert permission not in documented, f"docs/api/teams.md: {permission} appears twice"
        documented[permission] = (
            description,
            {role for role, value in zip(roles, flags, strict=False) if flag(value, permission, role)},
            flag(flags[-2], permission, "requires_mfa"),
            flag(flags[-1], permission, "owner_only"),
        )

    catalogue = {
        name: (description, set(holders), requires_mfa, owner_only)
        for name, description, holders, requires_mfa, owner_only in query(
            db_url,
            """
            select
                p.name, p.description,
                coalesce(array_agg(rp.role::text) filter (where rp.role is not null), '{}'),
                p.requires_mfa, p.owner_only
            from private.permissions as p
            left join private.role_permissions as rp on rp.permission = p.name
            group by p.name
            """,
        )
    }
    assert sorted(set(catalogue) - set(documented)) == [], "permissions missing from docs/api/teams.md"
    assert sorted(set(documented) - set(catalogue)) == [], "documented permissions missing from the catalogue"
    columns = ("description", "roles", "requires_mfa", "owner_only")
    wrong = [
        f"{name} {column}: docs/api/teams.md says {doc!r}, the catalogue {db!r}"
        for name in sorted(catalogue)
        for column, doc, db in zip(columns, documented[name], catalogue[name], strict=True)
        if doc != db
    ]
    assert wrong == [], "the permission table differs from private.permissions / private.role_permissions"


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_relative_links_point_at_pages_and_headings_that_exist(path: Path) -> None:
    """[text](page.md#anchor) and (#anchor): the page exists and so does the heading."""
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        page, _, anchor = target.partition("#")
        linked = (path.parent / page).resolve() if page else path
        assert linked.is_file(), f"{path.name}: link to missing {target}"
        if anchor and linked.suffix == ".md":
            anchors = {
                re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                for line in prose(linked.read_text(encoding="utf-8"))
                if HEADING.match(line)
            }
            assert anchor in anchors, f"{path.name}: no heading #{anchor} in {linked.name}"
