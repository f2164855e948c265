"""Migration file names: the Supabase CLI's rule (`^([0-9]+)_(.*)\\.sql$`) and its order.

The Supabase CLI (pkg/migration/list.go and file.go) takes every file of supabase/migrations
whose name matches `<digits>_<anything>.sql` as a migration, skips any other file with a
warning, and applies them in file-name order (Go's `fs.ReadDir`, byte order).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from luneo.core import migrations
from luneo.core.errors import OutOfOrder, UsageError
from tests.support.project import Project


def table(name: str) -> str:
    return f"create table public.{name} (id int);\n"


def applied_paths(project: Project) -> list[str]:
    return [a.path for a in migrations.apply(project.settings()).applied]


@pytest.mark.parametrize(
    ("file_name", "version", "name"),
    [
        ("20240414161707_team-accounts-setup.sql", "20240414161707", "team-accounts-setup"),
        ("20250101000000_Create.Orders.V2.sql", "20250101000000", "Create.Orders.V2"),
        ("1_init.sql", "1", "init"),
        ("2025_create_items.sql", "2025", "create_items"),
        ("202501011200000000_long.sql", "202501011200000000", "long"),
        ("42_.sql", "42", ""),
    ],
)
def test_names_the_supabase_cli_accepts_are_applied(
    project: Project, file_name: str, version: str, name: str
) -> None:
    project.write(f"supabase/migrations/{file_name}", table("items"))

    assert applied_paths(project) == [f"supabase/migrations/{file_name}"]
    assert project.query("select version, name from supabase_migrations.schema_migrations") == [
        (version, name)
    ]
    assert [s.state for s in migrations.status(project.settings())] == ["applied"]


def test_other_files_are_skipped_with_a_warning(project: Project, caplog: pytest.LogCaptureFixture) -> None:
    project.write("supabase/migrations/20250101000000_create_items.sql", table("items"))
    for skipped in ("20250102000000.sql", "create_orders.sql", "v3_orders.sql", "notes.md"):
        project.write(f"supabase/migrations/{skipped}", table("never"))
    project.write("supabase/migrations/.gitkeep", "")
    project.write("supabase/migrations/archive/20240101000000_old.sql", table("never"))

    report = migrations.apply(project.settings())

    assert [a.path for a in report.applied] == ["supabase/migrations/20250101000000_create_items.sql"]
    assert project.scalar("select to_regclass('public.never')") is None
    warned = sorted(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert warned == [
        "skipping supabase/migrations/20250102000000.sql: a migration is named <digits>_<name>.sql",
        "skipping supabase/migrations/archive: migrations are not read from subdirectories",
        "skipping supabase/migrations/create_orders.sql: a migration is named <digits>_<name>.sql",
        "skipping supabase/migrations/notes.md: a migration is named <digits>_<name>.sql",
        "skipping supabase/migrations/v3_orders.sql: a migration is named <digits>_<name>.sql",
    ]
    assert sorted(report.warnings) == warned


def test_an_old_cli_init_file_first_is_skipped_as_the_supabase_cli_does(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    project.write("supabase/migrations/20211208000000_init.sql", table("never"))
    project.write("supabase/migrations/20211208000001_init.sql", table("items"))

    assert applied_paths(project) == ["supabase/migrations/20211208000001_init.sql"]
    assert any("20211208000000_init.sql" in r.getMessage() for r in caplog.records)


def test_files_apply_in_file_name_order_as_the_supabase_cli_does(project: Project) -> None:
    # byte order of the name: "10_" < "1_" < "9_" ('0' sorts before '_'), not numeric order
    project.write("supabase/migrations/9_c.sql", "create table public.c (b_id int references public.b);\n")
    project.write("supabase/migrations/1_b.sql", "create table public.b (id int primary key, a int);\n")
    project.write("supabase/migrations/10_a.sql", table("a"))

    assert applied_paths(project) == [
        "supabase/migrations/10_a.sql",
        "supabase/migrations/1_b.sql",
        "supabase/migrations/9_c.sql",
    ]
    assert [s.version for s in migrations.status(project.settings())] == ["10", "1", "9"]


def test_out_of_order_follows_the_same_order(project: Project) -> None:
    project.write("supabase/migrations/10_a.sql", table("a"))
    migrations.apply(project.settings())

    project.write("supabase/migrations/1_b.sql", table("b"))  # sorts after 10_a.sql: simply pending
    assert [(s.path, s.state) for s in migrations.status(project.settings())] == [
        ("supabase/migrations/10_a.sql", "applied"),
        ("supabase/migrations/1_b.sql", "pending"),
    ]
    assert applied_paths(project) == ["supabase/migrations/1_b.sql"]

    project.write("supabase/migrations/0_c.sql", table("c"))  # sorts before both
    with pytest.raises(OutOfOrder, match="supabase/migrations/0_c.sql is older"):
        migrations.apply(project.settings())


def test_target_uses_the_same_order(project: Project) -> None:
    for file_name in ("10_a.sql", "1_b.sql", "9_c.sql"):
        project.write(f"supabase/migrations/{file_name}", table(file_name[-5]))

    report = migrations.apply(project.settings(), target="1")

    assert [a.path for a in report.applied] == ["supabase/migrations/10_a.sql", "supabase/migrations/1_b.sql"]


def test_a_version_used_twice_is_refused(project: Project) -> None:
    project.write("supabase/migrations/20250101000000_create_items.sql", table("items"))
    project.write("supabase/migrations/20250101000000_Create-Orders.sql", table("orders"))

    with pytest.raises(UsageError, match="version 20250101000000 is used twice"):
        migrations.apply(project.settings())
    assert project.scalar("select to_regnamespace('supabase_migrations')") is None


def test_versions_are_strings_so_leading_zeros_make_another_version(project: Project) -> None:
    project.write("supabase/migrations/01_a.sql", table("a"))
    project.write("supabase/migrations/1_b.sql", table("b"))

    assert applied_paths(project) == ["supabase/migrations/01_a.sql", "supabase/migrations/1_b.sql"]


NOON = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("existing", "created"),
    [
        (None, "20250601120000_create_orders.sql"),
        ("20240414161707_team-accounts-setup.sql", "20250601120000_create_orders.sql"),
        ("29990101000000_Future-Thing.sql", "29990101000001_create_orders.sql"),
        ("3_x.sql", "4_create_orders.sql"),  # "2025..." would sort before "3_x.sql"
        ("20251231_x.sql", "20251232_create_orders.sql"),
    ],
)
def test_new_names_sort_after_every_existing_file(
    project: Project, existing: str | None, created: str
) -> None:
    if existing:
        project.write(f"supabase/migrations/{existing}", table("a"))

    path = migrations.new(project.settings(), "Create Orders", now=NOON)

    assert path.name == created
    names = sorted(p.name for p in (project.root / "supabase" / "migrations").iterdir())
    assert names[-1] == created


def test_new_refuses_when_no_version_can_sort_after_the_newest(project: Project) -> None:
    project.write("supabase/migrations/99_x.sql", table("a"))
    with pytest.raises(UsageError, match="no version sorts after 99"):
        migrations.new(project.settings(), "create orders", now=NOON)
