"""Every file starts from a clean session, as a new connection would get it."""

from __future__ import annotations

import pytest

from luneo.core import migrations
from luneo.core.errors import MigrationFailed
from tests.support.project import Project


def test_search_path_set_by_one_file_does_not_leak_into_the_next(project: Project) -> None:
    project.migration("20250101000000", "app", "create schema app;\nset search_path = app, public;\n")
    project.migration("20250102000000", "orders", "create table orders (id int);\n")

    migrations.apply(project.settings())

    assert project.scalar("select to_regclass('public.orders') is not null")
    assert project.scalar("select to_regclass('app.orders') is null")


def test_dumped_empty_search_path_does_not_break_the_next_file(project: Project) -> None:
    project.migration(
        "20250101000000",
        "dumped",
        "select pg_catalog.set_config('search_path', '', false);\ncreate table public.a (id int);\n",
    )
    project.migration("20250102000000", "plain", "create table b (id int);\n")

    migrations.apply(project.settings())

    assert project.scalar("select to_regclass('public.b') is not null")


@pytest.mark.parametrize("statement", ["set role authenticated", "set session authorization authenticated"])
def test_role_set_by_a_file_does_not_leak(project: Project, statement: str) -> None:
    project.migration("20250101000000", "as_api", f"{statement};\nselect 1;\n")
    project.migration("20250102000000", "owned", "create table public.owned (id int);\n")
    project.write(
        "supabase/functions/f.sql", "create function public.f() returns int language sql as 'select 1';\n"
    )

    migrations.apply(project.settings())

    owners = project.query(
        "select relowner::regrole::text from pg_class where oid = 'public.owned'::regclass"
        " union all select proowner::regrole::text from pg_proc where oid = 'public.f()'::regprocedure"
    )
    assert owners == [(project.scalar("select current_user"),)] * 2


def test_a_role_switch_in_the_last_file_does_not_stop_the_ledger_write(project: Project) -> None:
    project.migration("20250101000000", "as_anon", "set role anon;\nselect 1;\n")

    migrations.apply(project.settings())

    assert migrations.status(project.settings())[0].state == "applied"


def test_setting_left_by_a_file_does_not_leak(project: Project) -> None:
    project.migration("20250101000000", "strict", "set statement_timeout = '1ms';\n")
    project.migration("20250102000000", "slow", "select pg_sleep(0.2);\n")

    migrations.apply(project.settings())

    assert len(migrations.status(project.settings())) == 2


# an extension and an unqualified call that needs `extensions` on the search_path
EXTENSION_CALLS = {
    "pgcrypto": "select gen_random_bytes(4)",
    "uuid-ossp": "select uuid_generate_v4()",
    "vector": "select '[1,2]'::vector",
    "citext": "select 'A'::citext",
}


def test_first_apply_on_plain_postgres_sees_the_stand_ins_search_path(project: Project) -> None:
    available = {r[0] for r in project.query("select name from pg_available_extensions")}
    calls = {name: call for name, call in EXTENSION_CALLS.items() if name in available}
    assert calls, "the server offers none of the extensions this test uses"
    project.migration(
        "20250101000000",
        "uses_extensions",
        "".join(
            f'create extension if not exists "{name}" with schema extensions;\n{call};\n'
            for name, call in calls.items()
        ),
    )

    migrations.apply(project.settings())

    assert migrations.status(project.settings())[0].state == "applied"


def test_database_setting_changed_by_a_migration_applies_to_later_files(project: Project) -> None:
    dbname = project.scalar("select current_database()")
    project.migration("20250101000000", "setting", f"alter database {dbname} set app.region = 'eu';\n")
    project.migration(
        "20250102000000",
        "uses_setting",
        "do $$ begin assert current_setting('app.region') = 'eu'; end $$;\n",
    )

    migrations.apply(project.settings())

    assert len(migrations.status(project.settings())) == 2


def test_failing_file_after_a_role_switch_is_recorded(project: Project) -> None:
    project.migration("20250101000000", "fails", "set role anon;\ncreate table public.nope (id int);\n")

    with pytest.raises(MigrationFailed, match=r"_fails.sql:2: permission denied"):
        migrations.apply(project.settings())

    assert project.query(
        "select success from supabase_migrations.luneo_history where kind = 'versioned'"
    ) == [(False,)]
