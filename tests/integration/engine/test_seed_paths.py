"""Seed files as the Supabase CLI knows them: `[db.seed]` of supabase/config.toml (`enabled`,
`sql_paths` with globs), loaded in order in one transaction."""

from __future__ import annotations

import pytest

from luneo.core import migrations
from luneo.core.errors import MigrationFailed, SqlSyntaxError, UsageError
from luneo.core.migrations.seeds import seed_plan
from tests.support.project import Project

ITEMS = "create table public.items (id int primary key, label text not null);\n"


def insert(item_id: int, label: str) -> str:
    return f"insert into public.items values ({item_id}, '{label}') on conflict do nothing;\n"


def config(project: Project, body: str) -> None:
    project.write("supabase/config.toml", f'project_id = "demo"\n\n[db]\nport = 54322\n\n{body}')


def planned(project: Project) -> list[str]:
    return [f.rel for f in seed_plan(project.root).files]


def test_without_config_the_seed_is_supabase_seed_sql(project: Project) -> None:
    assert planned(project) == []  # no seed.sql: nothing to load, and no warning
    assert seed_plan(project.root).warnings == []
    project.write("supabase/seed.sql", insert(1, "a"))
    project.write("supabase/seeds/b.sql", insert(2, "b"))  # not listed anywhere: not loaded
    assert planned(project) == ["supabase/seed.sql"]
    config(project, "[db.seed]\nenabled = true\n")  # the section without sql_paths: the default
    assert planned(project) == ["supabase/seed.sql"]


def test_patterns_in_order_each_glob_sorted_duplicates_once(project: Project) -> None:
    for name in ("seeds/20_orders.sql", "seeds/10_users.sql", "seeds/.5_hidden.sql", "seed.sql", "last.sql"):
        project.write(f"supabase/{name}", "select 1;\n")
    project.write("supabase/seeds/notes.txt", "not sql")
    project.write("supabase/seeds/nested/99_deep.sql", "select 1;\n")
    config(
        project,
        '[db.seed]\nsql_paths = ["./last.sql", "./seeds/*.sql", "seed.sql", "./seeds/10_users.sql", "last.sql"]\n',
    )
    # like Go's fs.Glob: `*` matches a leading dot and never crosses a `/`
    assert planned(project) == [
        "supabase/last.sql",
        "supabase/seeds/.5_hidden.sql",
        "supabase/seeds/10_users.sql",
        "supabase/seeds/20_orders.sql",
        "supabase/seed.sql",
    ]


def test_disabled_seed_loads_nothing(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write("supabase/seed.sql", insert(1, "a"))
    config(project, '[db.seed]\nenabled = false\nsql_paths = ["./missing.sql"]\n')
    plan = seed_plan(project.root)
    assert (plan.enabled, plan.files) == (False, [])

    report = migrations.reset(project.settings())
    assert report.seed is not None
    assert report.seed.disabled
    assert report.seed_statements is None
    assert migrations.seed(project.settings()).disabled
    assert project.scalar("select count(*) from public.items") == 0


def test_a_glob_matching_nothing_is_a_warning(project: Project, caplog: pytest.LogCaptureFixture) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write("supabase/seed.sql", insert(1, "a"))
    config(project, '[db.seed]\nsql_paths = ["./seed.sql", "./seeds/*.sql"]\n')
    migrations.apply(project.settings())

    report = migrations.seed(project.settings())

    expected = "supabase/config.toml: [db.seed] sql_paths pattern ./seeds/*.sql matches no file"
    assert report.warnings == [expected]
    assert expected in caplog.text
    assert report.files == [("supabase/seed.sql", 1)]
    assert project.query("select id, label from public.items") == [(1, "a")]


def test_a_listed_file_that_does_not_exist_is_an_error(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write("supabase/seed.sql", insert(1, "a"))
    config(project, '[db.seed]\nsql_paths = ["./seed.sql", "./seeds/users.sql"]\n')
    migrations.apply(project.settings())

    with pytest.raises(UsageError, match=r"sql_paths lists \./seeds/users\.sql, which does not exist") as err:
        migrations.seed(project.settings())
    assert err.value.exit_code == 2
    with pytest.raises(UsageError, match="does not exist"):
        migrations.reset(project.settings())  # refused before anything is dropped
    assert project.scalar("select count(*) from public.items") == 0
    assert project.scalar("select to_regclass('public.items') is not null")


def test_db_seed_without_any_seed_file_is_an_error(project: Project) -> None:
    with pytest.raises(UsageError, match="no seed file to load"):
        migrations.seed(project.settings())
    config(project, '[db.seed]\nsql_paths = ["./seeds/*.sql"]\n')
    with pytest.raises(UsageError, match="matches no file"):
        migrations.seed(project.settings())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[db.seed\n", "not valid TOML"),
        ("[db.seed]\nenabled = 'yes'\n", "enabled must be true or false"),
        ("[db.seed]\nsql_paths = './seed.sql'\n", "sql_paths must be a list"),
    ],
)
def test_a_bad_config_is_a_usage_error(project: Project, body: str, message: str) -> None:
    config(project, body)
    with pytest.raises(UsageError, match=message):
        seed_plan(project.root)


def test_files_load_in_order_and_report_their_statements(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write(
        "supabase/seed.sql", insert(1, "first") + "update public.items set label = 'seed.sql' where id = 1;\n"
    )
    # later files see what earlier ones wrote: the order is the config's
    project.write(
        "supabase/seeds/10_b.sql", "update public.items set label = label || ', 10_b' where id = 1;\n"
    )
    project.write(
        "supabase/seeds/20_c.sql", "update public.items set label = label || ', 20_c' where id = 1;\n"
    )
    config(project, '[db.seed]\nsql_paths = ["./seed.sql", "./seeds/*.sql"]\n')
    migrations.apply(project.settings())

    report = migrations.seed(project.settings())

    assert report.files == [
        ("supabase/seed.sql", 2),
        ("supabase/seeds/10_b.sql", 1),
        ("supabase/seeds/20_c.sql", 1),
    ]
    assert report.statements == 4
    assert project.scalar("select label from public.items where id = 1") == "seed.sql, 10_b, 20_c"


def test_a_failure_rolls_back_every_file_and_names_file_and_line(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write("supabase/seed.sql", insert(1, "a"))
    project.write("supabase/seeds/10_b.sql", insert(2, "b"))
    project.write(
        "supabase/seeds/20_c.sql", insert(3, "c") + "\ninsert into public.items values (4, null);\n"
    )
    config(project, '[db.seed]\nsql_paths = ["./seed.sql", "./seeds/*.sql"]\n')
    migrations.apply(project.settings())

    with pytest.raises(MigrationFailed, match=r"^supabase/seeds/20_c\.sql:3: .*not-null") as err:
        migrations.seed(project.settings())

    assert "rolled back" in str(err.value)
    assert project.scalar("select count(*) from public.items") == 0


def test_every_file_is_parsed_before_any_runs(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write("supabase/seed.sql", insert(1, "a"))
    project.write(
        "supabase/seeds/10_b.sql", "begin;\n" + insert(2, "b") + "commit;\n"
    )  # a whole-file wrapper
    project.write("supabase/seeds/20_c.sql", insert(3, "c") + "insert into oops values (;\n")
    config(project, '[db.seed]\nsql_paths = ["./seed.sql", "./seeds/*.sql"]\n')
    migrations.apply(project.settings())

    with pytest.raises(SqlSyntaxError, match=r"^supabase/seeds/20_c\.sql:2: "):
        migrations.seed(project.settings())
    assert project.scalar("select count(*) from public.items") == 0

    project.write("supabase/seeds/20_c.sql", insert(3, "c"))
    assert migrations.seed(project.settings()).files[1] == ("supabase/seeds/10_b.sql", 1)
    assert project.scalar("select count(*) from public.items") == 3


def test_reset_loads_every_seed_file(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    project.write("supabase/seeds/a.sql", insert(1, "a"))
    project.write("supabase/seeds/b.sql", insert(2, "b"))
    config(project, '[db.seed]\nsql_paths = ["./seeds/*.sql"]\n')

    report = migrations.reset(project.settings())

    assert report.seed_statements == 2
    assert project.query("select id, label from public.items order by id") == [(1, "a"), (2, "b")]
