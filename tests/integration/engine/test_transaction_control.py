"""Transaction-control statements inside files: found by the parser before anything runs.

A whole-file `begin; ... commit;` wrapper is accepted (the file runs as one transaction, as it
would anyway); any other `begin`, `commit`, `rollback`, `savepoint` or `prepare transaction` at
the top level is refused with `file:line`, and nothing of any pending file runs.
"""

from __future__ import annotations

import pytest

from luneo.core import migrations
from luneo.core.errors import MigrationFailed, TransactionControl
from tests.support.project import Project

WRAPPED = "begin;\ncreate table public.wrapped (id int primary key);\ninsert into public.wrapped values (1);\ncommit;\n"


def tables(project: Project) -> set[str]:
    return {r[0] for r in project.query("select tablename::text from pg_tables where schemaname = 'public'")}


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("begin;", "commit;"), ("BEGIN TRANSACTION;", "END;"), ("start transaction;", "commit work;")],
)
def test_whole_file_wrapper_runs_as_one_transaction_and_is_recorded(
    project: Project, opening: str, closing: str
) -> None:
    project.migration(
        "20250101000000",
        "wrapped",
        f"-- dumped\n{opening}\ncreate table public.wrapped (id int);\n{closing}\n",
    )

    report = migrations.apply(project.settings())

    assert [a.statements for a in report.applied] == [1]
    assert "wrapped" in tables(project)
    assert project.query("select version, statements from supabase_migrations.schema_migrations") == [
        ("20250101000000", ["create table public.wrapped (id int)"])
    ]
    assert migrations.apply(project.settings()).applied == []


def test_wrapped_file_that_fails_keeps_nothing(project: Project) -> None:
    project.migration("20250101000000", "wrapped", WRAPPED.replace("commit;", "select 1 / 0;\ncommit;"))

    with pytest.raises(MigrationFailed, match=r"_wrapped.sql:4: division by zero"):
        migrations.apply(project.settings())

    assert "wrapped" not in tables(project)
    assert migrations.status(project.settings())[0].state == "pending"


def test_commit_halfway_is_refused_before_anything_runs(project: Project) -> None:
    project.migration("20250101000000", "first", "create table public.first (id int);\n")
    project.migration(
        "20250102000000",
        "halfway",
        "create table public.kept (id int);\ncommit;\ncreate table public.after (id int);\nselect 1 / 0;\n",
    )

    with pytest.raises(TransactionControl, match=r"_halfway.sql:2: .*commit"):
        migrations.apply(project.settings())

    assert tables(project) == set()
    assert project.scalar("select to_regnamespace('supabase_migrations') is null")


@pytest.mark.parametrize(
    ("statement", "line"),
    [
        ("savepoint before_drop;", 2),
        ("rollback;", 2),
        ("release savepoint x;", 2),
        ("rollback to savepoint x;", 2),
        ("prepare transaction 'luneo';", 2),
        ("commit prepared 'luneo';", 2),
        ("start transaction;", 2),
        ("end;", 2),
    ],
)
def test_every_transaction_control_statement_is_refused(project: Project, statement: str, line: int) -> None:
    project.migration("20250101000000", "control", f"create table public.t (id int);\n{statement}\n")

    with pytest.raises(TransactionControl, match=rf"_control.sql:{line}: "):
        migrations.apply(project.settings())

    assert tables(project) == set()


@pytest.mark.parametrize(
    "text",
    [
        "begin isolation level serializable;\ncreate table public.t (id int);\ncommit;\n",
        "begin;\ncreate table public.t (id int);\ncommit and chain;\n",
        "begin;\ncreate table public.t (id int);\n",
        "create table public.t (id int);\ncommit;\n",
        "begin;\ncreate table public.t (id int);\nrollback;\n",
        "begin;\nbegin;\ncreate table public.t (id int);\ncommit;\ncommit;\n",
    ],
)
def test_anything_but_a_plain_wrapper_is_refused(project: Project, text: str) -> None:
    project.migration("20250101000000", "control", text)

    with pytest.raises(TransactionControl, match=r"_control.sql:\d+: "):
        migrations.apply(project.settings())

    assert tables(project) == set()


def test_dry_run_of_a_file_with_commit_changes_nothing_even_on_a_fresh_database(project: Project) -> None:
    project.migration("20250101000000", "halfway", "create table public.kept (id int);\ncommit;\n")

    with pytest.raises(TransactionControl):
        migrations.apply(project.settings(), dry_run=True)

    assert project.scalar("select to_regnamespace('auth') is null")
    assert project.scalar("select to_regnamespace('supabase_migrations') is null")
    assert tables(project) == set()


def test_dry_run_of_a_wrapped_file_rolls_it_back(project: Project) -> None:
    project.migration("20250101000000", "wrapped", WRAPPED)

    report = migrations.apply(project.settings(), dry_run=True)

    assert [a.path for a in report.applied] == ["supabase/migrations/20250101000000_wrapped.sql"]
    assert project.scalar("select to_regnamespace('supabase_migrations') is null")
    assert tables(project) == set()


def test_repeatable_and_seed_files_follow_the_same_rule(project: Project) -> None:
    project.migration("20250101000000", "items", "create table public.items (id int primary key);\n")
    project.write(
        "supabase/seed.sql", "begin;\ninsert into public.items values (1) on conflict do nothing;\ncommit;\n"
    )
    project.write(
        "supabase/functions/f.sql",
        "create function public.f() returns int language sql as 'select 1';\ncommit;\n",
    )

    with pytest.raises(TransactionControl, match=r"supabase/functions/f.sql:2: "):
        migrations.apply(project.settings())
    project.write(
        "supabase/functions/f.sql",
        "begin;\ncreate function public.f() returns int language sql as 'select 1';\ncommit;\n",
    )
    migrations.apply(project.settings())

    assert migrations.seed(project.settings()).statements == 1
    assert project.scalar("select count(*) from public.items") == 1
