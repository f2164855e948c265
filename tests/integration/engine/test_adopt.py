"""Databases migrated by the Supabase CLI (`supabase db push`, `supabase start`) are adopted."""

from __future__ import annotations

import pytest

from luneo.core import migrations
from luneo.core.errors import ChecksumMismatch
from tests.support.project import Project

ITEMS = "create table public.items (id bigint primary key);\n"
TAGS = "create table public.tags (id bigint primary key);\n"

# the Supabase CLI's table as `supabase db push` creates it (newer versions add columns)
CLI_LEDGER = """
create schema supabase_migrations;
create table supabase_migrations.schema_migrations (
    version text not null primary key, statements text[], name text, created_by text, idempotency_key text unique
);
"""


def migrated_by_the_supabase_cli(project: Project, ledger: str = CLI_LEDGER) -> None:
    """Two files applied and recorded as the Supabase CLI does it, with no Luneo history."""
    project.query("create schema auth")  # a Supabase database: the stand-in is not installed
    project.query(ITEMS + TAGS + ledger)
    project.query(
        "insert into supabase_migrations.schema_migrations (version) values ('20250101000000'), ('20250102000000')"
    )
    project.migration("20250101000000", "items", ITEMS)
    project.migration("20250102000000", "tags", TAGS)


@pytest.mark.parametrize(
    "ledger",
    [
        CLI_LEDGER,
        # older CLI versions: no name column
        "create schema supabase_migrations;\n"
        "create table supabase_migrations.schema_migrations (version text primary key, statements text[]);",
    ],
)
def test_versions_recorded_by_the_cli_are_adopted_not_rerun(
    project: Project, ledger: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="luneo")
    migrated_by_the_supabase_cli(project, ledger)
    project.migration("20250103000000", "labels", "create table public.labels (id int);\n")
    project.write(
        "supabase/functions/f.sql", "create function public.f() returns int language sql as 'select 1';\n"
    )

    report = migrations.apply(project.settings())

    assert report.adopted == [
        "supabase/migrations/20250101000000_items.sql",
        "supabase/migrations/20250102000000_tags.sql",
    ]
    assert [a.path for a in report.applied] == [
        "supabase/migrations/20250103000000_labels.sql",
        "supabase/functions/f.sql",
    ]
    assert "adopted 2 migration(s) applied by the Supabase CLI" in caplog.text
    assert project.scalar("select public.f()") == 1
    assert {s.state for s in migrations.status(project.settings())} == {"applied"}
    assert migrations.apply(project.settings()).adopted == []


def test_adopted_versions_are_checksummed_from_then_on(project: Project) -> None:
    migrated_by_the_supabase_cli(project)
    migrations.apply(project.settings())

    project.migration("20250101000000", "items", ITEMS + "-- edited\n")

    with pytest.raises(ChecksumMismatch, match=r"20250101000000_items.sql was changed"):
        migrations.apply(project.settings())


def test_dry_run_adopts_nothing(project: Project) -> None:
    migrated_by_the_supabase_cli(project)

    report = migrations.apply(project.settings(), dry_run=True)

    assert len(report.adopted) == 2
    assert project.scalar("select to_regclass('supabase_migrations.luneo_history') is null")


def test_a_version_the_cli_applied_after_luneo_is_adopted_too(project: Project) -> None:
    project.migration("20250101000000", "items", ITEMS)
    migrations.apply(project.settings())
    project.query(TAGS)
    project.query(
        "insert into supabase_migrations.schema_migrations (version, name) values ('20250102000000', 'tags')"
    )
    project.migration("20250102000000", "tags", TAGS)

    report = migrations.apply(project.settings())

    assert report.adopted == ["supabase/migrations/20250102000000_tags.sql"]
    assert report.applied == []
