"""The migration engine against a real Postgres: ordering, safety, locking, ledgers, drift."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from luneo.core import migrations
from luneo.core.errors import (
    ChecksumMismatch,
    LockTimeout,
    MigrationFailed,
    NonTransactionalMix,
    OutOfOrder,
    SqlSyntaxError,
    UsageError,
)
from luneo.core.migrations.lock import LOCK_KEY
from tests.support.project import Project

CREATE_ITEMS = "create table public.items (id bigint primary key, label text not null);\n"


def history(project: Project) -> list[tuple]:
    return project.query(
        "select kind, path, success from supabase_migrations.luneo_history where kind <> 'compat' order by id"
    )


def test_fresh_apply_installs_stand_in_and_records_both_ledgers(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.migration("20250102000000", "add_price", "alter table public.items add column price integer;\n")
    project.write(
        "supabase/functions/items.sql",
        "create function public.one() returns int language sql as $$ select 1 $$;",
    )

    report = migrations.apply(project.settings())

    assert report.compat_installed
    assert [a.path for a in report.applied] == [
        "supabase/migrations/20250101000000_create_items.sql",
        "supabase/migrations/20250102000000_add_price.sql",
        "supabase/functions/items.sql",
    ]
    assert project.query("select version, name, statements from supabase_migrations.schema_migrations") == [
        ("20250101000000", "create_items", [CREATE_ITEMS.strip().rstrip(";")]),
        ("20250102000000", "add_price", ["alter table public.items add column price integer"]),
    ]
    rows = project.query(
        "select kind, checksum, duration_ms >= 0, applied_by = current_user, success"
        " from supabase_migrations.luneo_history order by id"
    )
    assert {r[0] for r in rows} == {"compat", "versioned", "repeatable"}
    assert all(len(r[1]) == 64 and r[2] and r[3] and r[4] for r in rows)
    assert project.scalar("select public.one()") == 1


def test_second_apply_finds_nothing_and_changes_nothing(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    count = project.scalar("select count(*) from supabase_migrations.luneo_history")

    report = migrations.apply(project.settings())

    assert report.applied == []
    assert not report.compat_installed
    assert project.scalar("select count(*) from supabase_migrations.luneo_history") == count


def test_concurrent_applies_one_applies_the_other_waits_then_finds_nothing(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    project.migration("20250101000000", "slow", "select pg_sleep(1.5);\n" + CREATE_ITEMS)
    reports, errors = [], []

    def run() -> None:
        try:
            reports.append(migrations.apply(project.settings()))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(len(r.applied) for r in reports) == [0, 1]
    waits = [
        r for r in caplog.records if r.getMessage().startswith("waiting for the migration lock, held by pid")
    ]
    assert [r.levelname for r in waits] == ["WARNING"]
    assert project.scalar("select count(*) from supabase_migrations.schema_migrations") == 1


def test_lock_wait_times_out_naming_the_holder(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    with psycopg.connect(project.url, autocommit=True, application_name="deploy-bot") as holder:
        holder.execute("select pg_advisory_lock(%s)", [LOCK_KEY])
        with pytest.raises(LockTimeout, match=r"held by pid \d+ \(deploy-bot"):
            migrations.apply(project.settings(lock_wait_seconds=0.3))
    assert migrations.apply(project.settings()).applied  # released: the next run proceeds


def test_changed_applied_file_is_an_error_naming_both_checksums(project: Project) -> None:
    path = project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    before = project.scalar("select checksum from supabase_migrations.luneo_history where kind = 'versioned'")
    path.write_text(CREATE_ITEMS + "-- edited\n")

    with pytest.raises(ChecksumMismatch) as info:
        migrations.apply(project.settings())

    assert "supabase/migrations/20250101000000_create_items.sql" in info.value.message
    assert before in info.value.message
    assert migrations.status(project.settings())[0].state == "changed"


def test_new_file_older_than_newest_applied_is_refused_unless_allowed(project: Project) -> None:
    project.migration("20250102000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    project.migration("20250101000000", "create_other", "create table public.other (id int);\n")

    with pytest.raises(OutOfOrder, match="20250101000000_create_other.sql"):
        migrations.apply(project.settings())
    assert project.scalar("select to_regclass('public.other')") is None

    report = migrations.apply(project.settings(), allow_out_of_order=True)
    assert [a.path for a in report.applied] == ["supabase/migrations/20250101000000_create_other.sql"]


def test_failing_file_is_rolled_back_whole_and_earlier_files_stay(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.migration(
        "20250102000000",
        "broken",
        "create table public.half (id int);\n\ninsert into public.items (id, label)\nvalues (1, null);\n",
    )
    project.migration("20250103000000", "after", "create table public.after (id int);\n")

    with pytest.raises(MigrationFailed) as info:
        migrations.apply(project.settings())

    message = info.value.message
    assert message.startswith("supabase/migrations/20250102000000_broken.sql:3: ")
    assert 'null value in column "label"' in message
    assert "SQLSTATE 23502" in message
    assert project.scalar("select to_regclass('public.items')") == "items"
    assert project.scalar("select to_regclass('public.half')") is None
    assert project.scalar("select to_regclass('public.after')") is None
    assert history(project) == [
        ("versioned", "supabase/migrations/20250101000000_create_items.sql", True),
        ("versioned", "supabase/migrations/20250102000000_broken.sql", False),
    ]


def test_error_line_points_inside_a_multiline_statement(project: Project) -> None:
    project.migration(
        "20250101000000",
        "typo",
        "-- header\n\ncreate table public.t (\n    id int,\n    x no_such_type\n);\n",
    )
    with pytest.raises(MigrationFailed, match=r"_typo.sql:5: type \"no_such_type\" does not exist"):
        migrations.apply(project.settings())


def test_syntax_error_names_file_and_line_and_applies_nothing(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.migration("20250102000000", "bad", "select 1;\n\ncreate tabel x (id int);\n")
    with pytest.raises(SqlSyntaxError, match=r"20250102000000_bad.sql:3: syntax error at or near \"tabel\""):
        migrations.apply(project.settings())
    assert project.scalar("select to_regnamespace('supabase_migrations')") is None


def test_statement_that_cannot_run_in_a_transaction_is_detected(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.migration(
        "20250102000000",
        "index_items",
        "create index concurrently items_label_idx on public.items (label);\n",
    )

    report = migrations.apply(project.settings())

    assert [(a.path.rsplit("/", 1)[1], a.transactional) for a in report.applied] == [
        ("20250101000000_create_items.sql", True),
        ("20250102000000_index_items.sql", False),
    ]
    assert project.scalar("select to_regclass('public.items_label_idx')") == "items_label_idx"


def test_file_mixing_concurrent_index_with_others_is_refused_unless_opted_out(project: Project) -> None:
    mixed = CREATE_ITEMS + "create index concurrently items_label_idx on public.items (label);\n"
    path = project.migration("20250101000000", "mixed", mixed)

    with pytest.raises(
        NonTransactionalMix, match=r"_mixed.sql:2: this statement cannot run inside a transaction"
    ):
        migrations.apply(project.settings())
    assert project.scalar("select to_regnamespace('supabase_migrations')") is None

    path.write_text("-- luneo:no-transaction\n" + mixed)
    report = migrations.apply(project.settings())
    assert report.applied[0].transactional is False
    assert project.scalar("select to_regclass('public.items_label_idx')") == "items_label_idx"


def test_dry_run_changes_nothing_and_lists_what_would_run(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.write(
        "supabase/functions/f.sql", "create function public.f() returns int language sql as $$ select 1 $$;"
    )

    report = migrations.apply(project.settings(), dry_run=True)

    assert report.dry_run
    assert report.compat_installed
    assert [a.path for a in report.applied] == [
        "supabase/migrations/20250101000000_create_items.sql",
        "supabase/functions/f.sql",
    ]
    for schema in ("auth", "storage", "supabase_migrations"):
        assert project.scalar("select to_regnamespace(%s)", [schema]) is None
    assert project.scalar("select to_regclass('public.items')") is None


def test_dry_run_finds_errors_without_changing_anything(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    project.migration("20250102000000", "bad", "alter table public.items add column x no_such_type;\n")

    with pytest.raises(MigrationFailed, match="no_such_type"):
        migrations.apply(project.settings(), dry_run=True)

    assert history(project) == [("versioned", "supabase/migrations/20250101000000_create_items.sql", True)]


def test_target_applies_up_to_a_version_and_holds_repeatables_back(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.migration("20250102000000", "add_price", "alter table public.items add column price integer;\n")
    project.write(
        "supabase/functions/f.sql", "create function public.f() returns int language sql as $$ select 1 $$;"
    )

    report = migrations.apply(project.settings(), target="20250101000000")

    assert [a.path for a in report.applied] == ["supabase/migrations/20250101000000_create_items.sql"]
    assert report.held_back == ["supabase/functions/f.sql"]
    with pytest.raises(UsageError, match="--target 20990101000000 matches no file"):
        migrations.apply(project.settings(), target="20990101000000")


def test_repeatable_file_is_reapplied_only_when_its_checksum_changes(project: Project) -> None:
    fn = "create or replace function public.answer() returns int language sql as $$ select {} $$;\n"
    path = project.write("supabase/functions/answer.sql", fn.format(41))
    migrations.apply(project.settings())

    assert migrations.apply(project.settings()).applied == []
    path.write_text(fn.format(42))
    report = migrations.apply(project.settings())

    assert [a.path for a in report.applied] == ["supabase/functions/answer.sql"]
    assert project.scalar("select public.answer()") == 42
    assert [r for r in history(project) if r[0] == "repeatable"] == [
        ("repeatable", "supabase/functions/answer.sql", True)
    ] * 2


POLICIES = """
alter table public.items enable row level security;

create policy "anyone can read items" on public.items
for select to anon, authenticated using (true);
{extra}
"""
EXTRA = """
create policy "members can add items" on public.items
for insert to authenticated with check (true);
"""


def test_policies_are_declarative_stale_ones_are_dropped(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    path = project.write("supabase/policies/items.sql", POLICIES.format(extra=EXTRA))
    migrations.apply(project.settings())
    policies = "select policyname from pg_policies where tablename = 'items' order by 1"
    assert [r[0] for r in project.query(policies)] == ["anyone can read items", "members can add items"]

    path.write_text(POLICIES.format(extra=""))
    report = migrations.apply(project.settings())

    assert report.applied[0].dropped == ('policy "members can add items" on public.items',)
    assert [r[0] for r in project.query(policies)] == ["anyone can read items"]


def test_policies_of_a_table_removed_from_its_file_are_dropped(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS + "create table public.tags (id int);\n")
    path = project.write(
        "supabase/policies/catalog.sql",
        POLICIES.format(
            extra='create policy "anyone can read tags" on public.tags for select to anon using (true);'
        ),
    )
    migrations.apply(project.settings())

    path.write_text(POLICIES.format(extra=""))
    report = migrations.apply(project.settings())

    assert report.applied[0].dropped == ('policy "anyone can read tags" on public.tags',)
    assert project.scalar("select count(*) from pg_policies where tablename = 'tags'") == 0


def test_verify_detects_changes_made_outside_migrations(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    assert migrations.verify(project.settings()).ok

    project.query("alter table public.items add column sneaky text")
    project.query("alter table public.items alter column label drop not null")
    report = migrations.verify(project.settings())

    assert not report.ok
    assert report.drift == ["added column public.items.sneaky", "changed column public.items.label"]


def test_verify_reports_pending_and_changed_files(project: Project) -> None:
    path = project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    path.write_text(CREATE_ITEMS + "-- edited\n")
    project.migration("20250102000000", "later", "select 1;\n")

    report = migrations.verify(project.settings())

    assert report.problems == [
        "supabase/migrations/20250101000000_create_items.sql: changed",
        "supabase/migrations/20250102000000_later.sql: pending",
    ]


def test_ddl_lock_timeout_is_retried_until_the_lock_is_free(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    project.migration("20250102000000", "add_price", "alter table public.items add column price integer;\n")
    blocker = psycopg.connect(project.url)
    blocker.execute("lock table public.items in access share mode")

    def release() -> None:
        time.sleep(0.8)
        blocker.rollback()

    threading.Thread(target=release).start()
    report = migrations.apply(project.settings(ddl_lock_timeout="200ms", ddl_retries=5))
    blocker.close()

    assert [a.path for a in report.applied] == ["supabase/migrations/20250102000000_add_price.sql"]
    assert any("lock_timeout (200ms) hit, retrying" in r.getMessage() for r in caplog.records)


def test_ddl_lock_timeout_gives_up_after_the_retries(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    project.migration("20250102000000", "add_price", "alter table public.items add column price integer;\n")
    with psycopg.connect(project.url) as blocker:
        blocker.execute("lock table public.items in access share mode")
        with pytest.raises(MigrationFailed, match="SQLSTATE 55P03"):
            migrations.apply(project.settings(ddl_lock_timeout="50ms", ddl_retries=1))


def test_stand_in_is_not_installed_where_auth_exists(project: Project) -> None:
    project.query("create schema auth")
    project.migration("20250101000000", "create_items", CREATE_ITEMS)

    report = migrations.apply(project.settings())

    assert not report.compat_installed
    assert project.scalar("select to_regnamespace('storage')") is None


def test_ledger_table_matches_the_supabase_cli(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    columns = project.query(
        "select column_name, data_type, is_nullable from information_schema.columns"
        " where table_schema = 'supabase_migrations' and table_name = 'schema_migrations' order by ordinal_position"
    )
    assert columns == [("version", "text", "NO"), ("statements", "ARRAY", "YES"), ("name", "text", "YES")]


def test_versions_applied_by_the_supabase_cli_count_as_applied(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    migrations.apply(project.settings())
    project.query(
        "insert into supabase_migrations.schema_migrations (version, name) values ('20250102000000', 'x')"
    )
    project.migration("20250102000000", "x", "create table public.x (id int);\n")

    assert migrations.apply(project.settings()).applied == []
    assert [s.state for s in migrations.status(project.settings())] == ["applied", "applied"]


def test_seed_is_safe_to_run_twice(project: Project) -> None:
    project.migration("20250101000000", "create_items", CREATE_ITEMS)
    project.write(
        "supabase/seed.sql", "insert into public.items values (1, 'a'), (2, 'b') on conflict do nothing;\n"
    )
    migrations.apply(project.settings())

    assert migrations.seed(project.settings()).statements == 1
    migrations.seed(project.settings())

    assert project.scalar("select count(*) from public.items") == 2
