"""Next to `supabase start`: after `supabase db reset`, `luneo db apply` adopts the versions the
Supabase CLI applied and applies the repeatable files it never runs (docs/supabase-cli.md).

No Docker here: the end state of `supabase db reset` is made on a real Postgres as the Supabase
CLI leaves it: a platform `auth` schema (the stand-in's SQL, then marked as not Luneo's, as a
real one is), every versioned file run in file-name order, each recorded in
`supabase_migrations.schema_migrations` (version, name, statements), and no Luneo history.
"""

from __future__ import annotations

from luneo.core.compat import compat_files
from tests.support.cli import luneo
from tests.support.project import Project

VERSIONED = {
    ("20250101000000", "create_notes"): (
        "create table public.notes (\n"
        "    id bigint generated always as identity primary key,\n"
        "    owner_id uuid not null references auth.users (id),\n"
        "    body text not null\n"
        ");\n"
        "alter table public.notes enable row level security;\n"
        "create index notes_owner_id_idx on public.notes (owner_id);\n"
    ),
    ("20250102000000", "add_notes_created_at"): (
        "alter table public.notes add column created_at timestamptz not null default now();\n"
    ),
}
REPEATABLE = {
    "supabase/functions/notes/notes.sql": (
        "create or replace function public.my_note_count() returns bigint\n"
        "language sql stable security invoker set search_path = '' as $$\n"
        "    select count(*) from public.notes where owner_id = (select auth.uid())\n"
        "$$;\n"
        "grant execute on function public.my_note_count() to authenticated;\n"
    ),
    "supabase/policies/notes/notes.sql": (
        'create policy "owners can read their notes" on public.notes\n'
        "for select to authenticated using ((select auth.uid()) = owner_id);\n"
    ),
}
# the Supabase CLI's ledger (`pkg/migration/history.go`: created by `supabase db reset`)
CLI_LEDGER = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;
"""


def after_supabase_db_reset(project: Project) -> None:
    """The database as `supabase db reset` leaves it, and the project's files."""
    for f in compat_files():
        project.query(f.text)
    project.query("comment on schema auth is 'Auth: the platform''s, not a stand-in'")
    project.query(CLI_LEDGER)
    for (version, name), text in VERSIONED.items():
        project.migration(version, name, text)
        project.query(text)
        project.query(
            "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
            (version, name, [s.strip() + ";" for s in text.split(";") if s.strip()]),
        )
    for rel, text in REPEATABLE.items():
        project.write(rel, text)


def test_apply_after_supabase_db_reset_adopts_the_versions_and_applies_the_repeatables(
    project: Project,
) -> None:
    after_supabase_db_reset(project)
    args = ("--db-url", project.url, "--dir", str(project.root))

    applied = luneo("db", "apply", *args)

    assert applied.returncode == 0, applied.stderr
    lines = applied.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines if not line.startswith("done:")] == [
        "applied supabase/functions/notes/notes.sql",
        "applied supabase/policies/notes/notes.sql",
        "adopted supabase/migrations/20250101000000_create_notes.sql",
        "adopted supabase/migrations/20250102000000_add_notes_created_at.sql",
    ]
    assert lines[-1].startswith("done: 2 file(s) applied, 2 version(s) adopted in ")
    assert "stand-in" not in applied.stdout  # auth is the platform's
    assert "adopted 2 migration(s) applied by the Supabase CLI" in applied.stderr
    # not run again: the Supabase CLI's rows are untouched, a second `add column` would have failed
    assert project.query("select version, name from supabase_migrations.schema_migrations order by 1") == [
        ("20250101000000", "create_notes"),
        ("20250102000000", "add_notes_created_at"),
    ]
    assert project.scalar("select count(*) from pg_policies where tablename = 'notes'") == 1
    assert project.scalar("select public.my_note_count()") == 0

    verified = luneo("db", "verify", *args)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.strip() == "ok: every file is applied and the schema matches the last apply"
    again = luneo("db", "apply", *args)
    assert again.stdout.strip() == "nothing to apply: the database is up to date"


def test_luneo_db_reset_on_the_local_stack_needs_no_force_and_keeps_the_platform(
    project: Project,
) -> None:
    after_supabase_db_reset(project)
    args = ("--db-url", project.url, "--dir", str(project.root))
    assert luneo("db", "apply", *args).returncode == 0

    reset = luneo("db", "reset", *args)

    assert reset.returncode == 0, reset.stderr
    assert "applied supabase/migrations/20250101000000_create_notes.sql" in reset.stdout
    assert "applied supabase/policies/notes/notes.sql" in reset.stdout
    assert "stand-in" not in reset.stdout
    assert project.scalar("select obj_description('auth'::regnamespace)") == (
        "Auth: the platform's, not a stand-in"
    )
    assert luneo("db", "verify", *args).returncode == 0
