"""`luneo db reset`: drop what the project made, clear its history, apply it again, re-seed.

Two kinds of database: one where `auth` is the stand-in (plain Postgres, the embedded server),
and one where it is not (a hosted project with `--force`, or a `supabase start` stack on
127.0.0.1:54322), simulated here by platform schemas created before the project is applied.
"""

from __future__ import annotations

import logging
import re

import pytest

from luneo.core import db, migrations
from luneo.core.errors import UsageError
from tests.support.project import Project

PRIVATE = """\
create schema private;
create table private.secrets (id int primary key, value text not null);
create table public.items (id int primary key, label text not null);
create function public.item_count() returns bigint language sql as $$ select count(*) from public.items $$;
"""
SEED = "insert into public.items values (1, 'seeded') on conflict do nothing;\n"


def make_supabase_platform(project: Project) -> None:
    """What a Supabase database has before any migration: `auth` (not the stand-in), `storage`,
    `extensions`, and the Supabase CLI's ledger with what `supabase start` applied."""
    project.query("create schema auth")
    project.query("create table auth.users (id uuid primary key, email text)")
    project.query("insert into auth.users values (gen_random_uuid(), 'kept@example.com')")
    project.query("create schema storage")
    project.query("create table storage.objects (id int primary key, bucket_id text)")
    project.query("alter table storage.objects enable row level security")
    project.query("create schema extensions")
    project.query("create table extensions.platform_thing (id int)")


def supabase_start(project: Project) -> None:
    """`supabase start` applying the project's migrations itself (its own ledger, not ours)."""
    project.query("create schema supabase_migrations")
    project.query(
        "create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text)"
    )
    for path in sorted((project.root / "supabase" / "migrations").glob("*.sql")):
        project.query(path.read_text())
        version, name = path.stem.split("_", 1)
        project.query(
            "insert into supabase_migrations.schema_migrations (version, name) values (%s, %s)",
            [version, name],
        )


def recorded_versions(project: Project) -> list[str]:
    return [
        v for (v,) in project.query("select version from supabase_migrations.schema_migrations order by 1")
    ]


def test_where_auth_is_not_the_stand_in_reset_leaves_a_database_apply_fully_rebuilds(
    project: Project,
) -> None:
    make_supabase_platform(project)
    project.migration("20250101000000", "create_private", PRIVATE)
    assert migrations.apply(project.settings()).compat_installed is False
    project.query("insert into private.secrets values (1, 'x')")
    project.query("insert into public.items values (1, 'a')")

    report = migrations.reset(project.settings())

    assert [a.path for a in report.apply.applied] == ["supabase/migrations/20250101000000_create_private.sql"]
    assert report.apply.compat_installed is False
    assert project.scalar("select count(*) from private.secrets") == 0
    assert project.scalar("select count(*) from public.items") == 0
    assert recorded_versions(project) == ["20250101000000"]
    assert migrations.apply(project.settings()).applied == []
    assert migrations.verify(project.settings()).ok
    # the platform is left as it was: its schemas, tables and rows
    assert project.scalar("select count(*) from auth.users") == 1
    assert project.scalar("select to_regclass('extensions.platform_thing')") is not None
    assert project.scalar("select to_regnamespace('realtime')") is None  # no stand-in installed


def test_reset_of_a_supabase_start_stack_reruns_what_the_supabase_cli_applied(project: Project) -> None:
    make_supabase_platform(project)
    project.migration("20250101000000", "create_private", PRIVATE)
    supabase_start(project)
    project.query("insert into public.items values (1, 'a')")

    report = migrations.reset(project.settings())

    assert [a.path for a in report.apply.applied] == ["supabase/migrations/20250101000000_create_private.sql"]
    assert project.scalar("select count(*) from public.items") == 0
    assert recorded_versions(project) == ["20250101000000"]
    assert [s.state for s in migrations.status(project.settings())] == ["applied"]


def test_reset_drops_only_what_the_project_made(project: Project) -> None:
    project.migration("20250101000000", "create_private", PRIVATE)
    migrations.apply(project.settings())
    project.query("create schema scratch")
    project.query("create table scratch.notes (id int)")
    project.query("insert into scratch.notes values (1)")
    project.query("create table public.stray (id int)")

    report = migrations.reset(project.settings())

    assert report.dropped_schemas == ["auth", "extensions", "private", "realtime", "storage"]
    assert project.scalar("select count(*) from scratch.notes") == 1  # a schema of the user's own
    assert project.scalar("select to_regclass('public.stray')") is None  # public is emptied
    assert report.apply.compat_installed  # the stand-in went, and came back
    assert len(report.apply.applied) == 1
    assert (
        project.scalar("select count(*) from supabase_migrations.luneo_history where kind = 'versioned'") == 1
    )
    assert migrations.verify(project.settings()).ok


def test_platform_schemas_are_kept_even_when_a_project_file_creates_them(project: Project) -> None:
    make_supabase_platform(project)
    project.migration(
        "20250101000000",
        "setup",
        "create schema if not exists extensions;\ncreate schema if not exists private;\n"
        "create table private.t (id int);\n",
    )
    migrations.apply(project.settings())

    report = migrations.reset(project.settings())

    assert report.dropped_schemas == ["private"]
    assert project.scalar("select to_regclass('extensions.platform_thing')") is not None


def test_policies_and_triggers_the_project_put_on_platform_tables_are_dropped_and_made_again(
    project: Project,
) -> None:
    make_supabase_platform(project)
    project.migration(
        "20250101000000",
        "storage_policies",
        """\
create policy "avatars are public" on storage.objects for select using (bucket_id = 'avatars');
create or replace function storage.touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger touch before update on storage.objects for each row execute function storage.touch();
create function public.noop() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger noop_on_users after insert on auth.users for each row execute function public.noop();
""",
    )
    migrations.apply(project.settings())
    project.query('create policy "a policy of the platform" on storage.objects for select using (true)')

    report = migrations.reset(project.settings())

    assert len(report.apply.applied) == 1
    assert sorted(p for (p,) in project.query("select policyname from pg_policies")) == [
        "a policy of the platform",
        "avatars are public",
    ]
    triggers = project.query("select tgname from pg_trigger where not tgisinternal order by 1")
    assert triggers == [("noop_on_users",), ("touch",)]


def test_reset_says_which_database_before_it_drops_and_never_the_password(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="luneo")
    project.migration("20250101000000", "create_private", PRIVATE)
    migrations.apply(project.settings())
    url = re.sub(r"://([^:@/]*)(:[^@]*)?@", r"://\1:pw-s3cret@", project.url, count=1)
    assert "pw-s3cret" in url

    migrations.reset(project.settings(database_url=url))

    messages = [r.getMessage() for r in caplog.records]
    first_drop = next(i for i, m in enumerate(messages) if m.startswith("dropping schema"))
    assert any(m.startswith(f"resetting {db.describe_target(url)}") for m in messages[:first_drop])
    assert not any("pw-s3cret" in m for m in messages)


def test_reset_reloads_the_seed_unless_told_not_to(project: Project) -> None:
    project.migration("20250101000000", "create_private", PRIVATE)
    project.write("supabase/seed.sql", SEED)
    migrations.apply(project.settings())
    project.query("insert into public.items values (2, 'mine')")

    report = migrations.reset(project.settings())

    assert report.seed_statements == 1
    assert project.query("select id, label from public.items") == [(1, "seeded")]

    report = migrations.reset(project.settings(), seed=False)

    assert report.seed_statements is None
    assert project.scalar("select count(*) from public.items") == 0


def test_reset_without_a_seed_file_just_applies(project: Project) -> None:
    project.migration("20250101000000", "create_private", PRIVATE)

    report = migrations.reset(project.settings())  # nothing applied yet: no ledger to clear

    assert report.seed_statements is None
    assert len(report.apply.applied) == 1


def test_reset_refuses_a_remote_database_without_force(project: Project) -> None:
    remote = project.settings(database_url="postgresql://postgres:pw@db.example.com:5432/postgres")
    with pytest.raises(UsageError, match="refusing to reset postgres@db.example.com:5432/postgres"):
        migrations.reset(remote)
