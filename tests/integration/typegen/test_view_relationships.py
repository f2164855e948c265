"""`luneo gen types typescript`: the relationships views get from the foreign keys they expose,
read from their rewrite rules as PostgREST reads them (so supabase-js can embed through a view),
in the Supabase generator's shape and order; and the `__InternalSupabase` marker."""

from __future__ import annotations

import re

import pytest

from luneo.core import db, typegen
from tests.support.pg import Superuser

SCHEMA = """
create table public.authors (id int8 primary key, name text not null);
create table public.books (
    id int4 primary key,
    author_id int8 not null references public.authors (id),
    editor_id int8 references public.authors (id),
    title text
);
create table public.covers (book_id int4 primary key references public.books (id), url text);
create table public.editions (book_id int4 references public.books (id), n int4, primary key (book_id, n));
create table public.prints (
    id int4 primary key,
    book_id int4,
    edition int4,
    foreign key (book_id, edition) references public.editions (book_id, n)
);

-- a view over a table with foreign keys
create view public.book_list as select * from public.books;
-- renaming the columns
create view public.book_names as select b.id as book, b.author_id as writer, b.title from public.books as b;
-- a view of a view
create view public.book_writers as select writer, book from public.book_names;
-- hiding the foreign key columns: no relationship from it
create view public.titles as select id, title from public.books;
-- exposing the referenced table, renamed
create view public.writers as select a.id as writer_id, a.name from public.authors as a;
-- one key column twice
create view public.books_twice as select id, author_id, author_id as first_author from public.books;
-- a composite key: partly exposed gives nothing, wholly exposed gives its columns in key order
create view public.print_books as select id, book_id from public.prints;
create view public.print_list as select edition, book_id, id from public.prints;
-- through a CTE, a group by and a join, a column still has its table column as origin
create view public.author_stats as
with counted as (select author_id, count(*) as n from public.books group by author_id)
select c.author_id as author, a.name, c.n from counted as c inner join public.authors as a on c.author_id = a.id;
-- another schema: relationships are listed only within one schema
create schema shop;
create view shop.books as select * from public.books;
create view shop.authors as select * from public.authors;
"""

Rel = tuple[str, list[str], bool, str, list[str]]
"""foreignKeyName, columns, isOneToOne, referencedRelation, referencedColumns"""

ENTRY = re.compile(
    r'\{\s*foreignKeyName: "([^"]+)"\s*columns: \[([^\]]*)\]\s*isOneToOne: (true|false)\s*'
    r'referencedRelation: "([^"]+)"\s*referencedColumns: \[([^\]]*)\]\s*\}'
)


def names(listed: str) -> list[str]:
    return re.findall(r'"([^"]*)"', listed)


def relationships(text: str, schema: str, relation: str) -> list[Rel]:
    """The `Relationships` entries of one table or view of the generated file."""
    start = text.index(f"\n  {schema}: {{\n")
    start = text.index(f"\n      {relation}: {{\n", start)
    end = text.index("\n      }\n", start)
    block = text[text.index("Relationships: [", start, end) : end]
    return [
        (fk, names(cols), one == "true", ref, names(ref_cols))
        for fk, cols, one, ref, ref_cols in ENTRY.findall(block)
    ]


@pytest.fixture
def generated(empty_db_url: str) -> str:
    with Superuser(empty_db_url) as su:
        su(SCHEMA)
    with db.connect(empty_db_url) as conn:
        text, _ = typegen.typescript(conn, ["public", "shop"])
    return text


AUTHOR, EDITOR = "books_author_id_fkey", "books_editor_id_fkey"


def test_a_view_over_a_table_has_its_foreign_keys(generated: str) -> None:
    assert relationships(generated, "public", "book_list") == [
        (AUTHOR, ["author_id"], False, "authors", ["id"]),
        (AUTHOR, ["author_id"], False, "writers", ["writer_id"]),  # from view to view
        (EDITOR, ["editor_id"], False, "authors", ["id"]),
        (EDITOR, ["editor_id"], False, "writers", ["writer_id"]),
    ]


def test_renamed_columns_a_view_of_a_view_and_a_cte(generated: str) -> None:
    expected = [
        (AUTHOR, ["writer"], False, "authors", ["id"]),
        (AUTHOR, ["writer"], False, "writers", ["writer_id"]),
    ]
    assert relationships(generated, "public", "book_names") == expected
    assert relationships(generated, "public", "book_writers") == expected
    assert relationships(generated, "public", "author_stats") == [
        (AUTHOR, ["author"], False, "authors", ["id"]),
        (AUTHOR, ["author"], False, "writers", ["writer_id"]),
    ]


def test_a_view_hiding_the_key_columns_has_no_relationship(generated: str) -> None:
    assert relationships(generated, "public", "titles") == []
    assert "      titles: {" in generated
    assert relationships(generated, "public", "print_books") == []  # half a composite key


def test_a_composite_key_wholly_exposed(generated: str) -> None:
    assert relationships(generated, "public", "print_list") == [
        ("prints_book_id_edition_fkey", ["book_id", "edition"], False, "editions", ["book_id", "n"]),
    ]


def test_a_key_column_exposed_twice_gives_one_relationship_per_column(generated: str) -> None:
    assert relationships(generated, "public", "books_twice") == [
        (AUTHOR, ["author_id"], False, "authors", ["id"]),
        (AUTHOR, ["first_author"], False, "authors", ["id"]),
        (AUTHOR, ["author_id"], False, "writers", ["writer_id"]),
        (AUTHOR, ["first_author"], False, "writers", ["writer_id"]),
    ]


def test_tables_reference_the_views_exposing_their_referenced_columns(generated: str) -> None:
    covers = relationships(generated, "public", "covers")
    assert covers == [
        ("covers_book_id_fkey", ["book_id"], True, "book_list", ["id"]),
        ("covers_book_id_fkey", ["book_id"], True, "book_names", ["book"]),
        ("covers_book_id_fkey", ["book_id"], True, "book_writers", ["book"]),
        ("covers_book_id_fkey", ["book_id"], True, "books", ["id"]),
        ("covers_book_id_fkey", ["book_id"], True, "books_twice", ["id"]),
        ("covers_book_id_fkey", ["book_id"], True, "titles", ["id"]),
    ]
    assert relationships(generated, "public", "books") == [
        (AUTHOR, ["author_id"], False, "authors", ["id"]),
        (AUTHOR, ["author_id"], False, "writers", ["writer_id"]),
        (EDITOR, ["editor_id"], False, "authors", ["id"]),
        (EDITOR, ["editor_id"], False, "writers", ["writer_id"]),
    ]
    # the composite key: only the view exposing both referenced columns
    assert [r[3] for r in relationships(generated, "public", "prints")] == ["editions"]


def test_only_relationships_within_one_schema(generated: str) -> None:
    # shop.books exposes public.books' keys: those to public.authors are not listed (as
    # Supabase's), those to shop.authors (a view of public.authors) are
    assert relationships(generated, "shop", "books") == [
        (AUTHOR, ["author_id"], False, "authors", ["id"]),
        (EDITOR, ["editor_id"], False, "authors", ["id"]),
    ]
    assert relationships(generated, "shop", "authors") == []
    # nor is public.covers' relationship to shop.books
    assert len(relationships(generated, "public", "covers")) == 6


def test_no_postgrest_version_no_marker(generated: str) -> None:
    assert "__InternalSupabase" not in generated.split("type DatabaseWithoutInternals")[0]
    assert "export type Database = {\n  public: {\n" in generated


def test_the_postgrest_version_marker(empty_db_url: str) -> None:
    with db.connect(empty_db_url) as conn:
        text, _ = typegen.typescript(conn, ["public"], "13.0.4")
    assert (
        "export type Database = {\n"
        "  // Allows to automatically instantiate createClient with right options\n"
        "  // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)\n"
        "  __InternalSupabase: {\n"
        '    PostgrestVersion: "13.0.4"\n'
        "  }\n"
        "  public: {\n"
    ) in text
