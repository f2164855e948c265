"""Repeatable files are declarative: what a file no longer declares is dropped, what a
migration took away is put back."""

from __future__ import annotations

import pytest

from luneo.core import migrations
from luneo.core.errors import MigrationFailed
from tests.support.project import Project

ITEMS = "create table public.items (id bigint primary key, label text);\nalter table public.items enable row level security;\n"
DEFINER = (
    "create or replace function public.{name}({args}) returns int language sql security definer"
    " set search_path = '' as 'select 1';\n"
    "grant execute on function public.{name}({args}) to authenticated;\n"
)
TOUCH = "create or replace function public.touch() returns trigger language plpgsql as $$ begin return new; end $$;\n"
TRIGGER = (
    "create trigger items_touch before update on public.items for each row execute function public.touch();\n"
)
POLICY = 'create policy "read items" on public.items for select to authenticated using (true);\n'


def functions(project: Project) -> set[str]:
    rows = project.query(
        "select p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'public'::regnamespace"
    )
    return {r[0] for r in rows}


def triggers(project: Project) -> set[str]:
    return {
        r[0]
        for r in project.query(
            "select tgname::text from pg_trigger where not tgisinternal and tgrelid = 'public.items'::regclass"
        )
    }


def policies(project: Project) -> set[str]:
    return {
        r[0] for r in project.query("select policyname::text from pg_policies where schemaname = 'public'")
    }


@pytest.fixture
def items(project: Project) -> Project:
    project.migration("20250101000000", "items", ITEMS)
    return project


def test_function_removed_from_its_file_is_dropped_and_reported(items: Project) -> None:
    items.write(
        "supabase/functions/api.sql",
        DEFINER.format(name="keep", args="") + DEFINER.format(name="gone", args=""),
    )
    migrations.apply(items.settings())
    assert {"keep()", "gone()"} <= functions(items)

    items.write("supabase/functions/api.sql", DEFINER.format(name="keep", args=""))
    report = migrations.apply(items.settings())

    assert report.applied[0].dropped == ("function public.gone()",)
    assert "gone()" not in functions(items)
    assert "keep()" in functions(items)


def test_changed_argument_list_leaves_no_old_overload(items: Project) -> None:
    items.write("supabase/functions/api.sql", DEFINER.format(name="grant_access", args="integer"))
    migrations.apply(items.settings())

    items.write("supabase/functions/api.sql", DEFINER.format(name="grant_access", args="integer, text"))
    report = migrations.apply(items.settings())

    assert report.applied[0].dropped == ("function public.grant_access(integer)",)
    assert {f for f in functions(items) if f.startswith("grant_access")} == {"grant_access(integer,text)"}


def test_trigger_and_view_removed_from_their_file_are_dropped(items: Project) -> None:
    view = "create view public.labels with (security_invoker) as select label from public.items;\n"
    items.write("supabase/functions/items.sql", TOUCH + TRIGGER + view)
    migrations.apply(items.settings())

    items.write("supabase/functions/items.sql", TOUCH)
    report = migrations.apply(items.settings())

    assert sorted(report.applied[0].dropped) == ["trigger items_touch on public.items", "view public.labels"]
    assert "items_touch" not in triggers(items)
    assert items.scalar("select to_regclass('public.labels')") is None


def test_deleted_repeatable_file_shows_in_status_and_its_objects_are_dropped(items: Project) -> None:
    items.write("supabase/functions/items.sql", TOUCH + TRIGGER + DEFINER.format(name="definer", args=""))
    policy_file = items.write("supabase/policies/items.sql", POLICY)
    migrations.apply(items.settings())

    (items.root / "supabase/functions/items.sql").unlink()
    policy_file.unlink()
    states = {s.path: s.state for s in migrations.status(items.settings())}
    assert states["supabase/functions/items.sql"] == "deleted"
    assert states["supabase/policies/items.sql"] == "deleted"

    report = migrations.apply(items.settings())

    removed = {r.path: sorted(r.dropped) for r in report.removed}
    assert removed == {
        "supabase/functions/items.sql": [
            "function public.definer()",
            "function public.touch()",
            "trigger items_touch on public.items",
        ],
        "supabase/policies/items.sql": ['policy "read items" on public.items'],
    }
    assert functions(items) == set()
    assert triggers(items) == set()
    assert policies(items) == set()
    assert {s.path for s in migrations.status(items.settings())} == {
        "supabase/migrations/20250101000000_items.sql"
    }
    assert migrations.apply(items.settings()).removed == []


@pytest.mark.parametrize(("source", "destination"), [("a.sql", "b.sql"), ("b.sql", "a.sql")])
def test_function_moved_to_another_file_is_kept(items: Project, source: str, destination: str) -> None:
    items.write(f"supabase/functions/{source}", DEFINER.format(name="moved", args=""))
    items.write(f"supabase/functions/{destination}", "select 1;\n")
    migrations.apply(items.settings())

    items.write(f"supabase/functions/{source}", "select 2;\n")
    items.write(f"supabase/functions/{destination}", DEFINER.format(name="moved", args=""))
    report = migrations.apply(items.settings())

    assert all(a.dropped == () for a in report.applied)
    assert "moved()" in functions(items)


def test_function_moved_out_of_a_deleted_file_is_kept(items: Project) -> None:
    old = items.write("supabase/functions/old.sql", DEFINER.format(name="moved", args=""))
    migrations.apply(items.settings())

    old.unlink()
    items.write("supabase/functions/new.sql", DEFINER.format(name="moved", args=""))
    report = migrations.apply(items.settings())

    assert [r.dropped for r in report.removed] == [()]
    assert "moved()" in functions(items)


def test_order_within_a_folder_does_not_matter(items: Project) -> None:
    items.write(
        "supabase/functions/a.sql",
        "create function public.caller() returns int language sql as 'select public.callee()';\n",
    )
    items.write(
        "supabase/functions/b.sql",
        "create function public.callee() returns int language sql as 'select 7';\n",
    )

    migrations.apply(items.settings())

    assert items.scalar("select public.caller()") == 7


def test_a_dependent_object_stops_the_drop_and_the_file(items: Project) -> None:
    items.write("supabase/functions/api.sql", DEFINER.format(name="used", args=""))
    migrations.apply(items.settings())
    items.query("create view public.uses as select public.used()")

    items.write("supabase/functions/api.sql", "select 1;\n")
    with pytest.raises(
        MigrationFailed, match=r"supabase/functions/api.sql: .*cannot drop function public.used\(\)"
    ):
        migrations.apply(items.settings())

    assert "used()" in functions(items)


def test_objects_a_migration_dropped_are_put_back_by_their_unchanged_files(items: Project) -> None:
    items.write("supabase/functions/items.sql", TOUCH + TRIGGER)
    items.write("supabase/policies/items.sql", POLICY)
    migrations.apply(items.settings())

    items.migration("20250102000000", "recreate_items", "drop table public.items;\n" + ITEMS)
    verify = migrations.verify(items.settings())
    assert not verify.ok

    report = migrations.apply(items.settings())

    assert [a.path for a in report.applied] == [
        "supabase/migrations/20250102000000_recreate_items.sql",
        "supabase/functions/items.sql",
        "supabase/policies/items.sql",
    ]
    assert triggers(items) == {"items_touch"}
    assert policies(items) == {"read items"}
    assert migrations.verify(items.settings()).ok


def test_verify_reports_declared_objects_that_are_missing(items: Project) -> None:
    items.write("supabase/functions/items.sql", TOUCH + TRIGGER)
    items.write("supabase/policies/items.sql", POLICY)
    migrations.apply(items.settings())

    items.query('drop trigger items_touch on public.items; drop policy "read items" on public.items')
    report = migrations.verify(items.settings())

    assert report.missing == [
        "supabase/functions/items.sql: trigger items_touch on public.items",
        'supabase/policies/items.sql: policy "read items" on public.items',
    ]
    states = {s.path: s.state for s in report.files}
    assert states["supabase/functions/items.sql"] == "objects-missing"
    assert not report.ok
