"""`luneo db reset` through the real command: what it says, what it rebuilds, `--no-seed`."""

from __future__ import annotations

from luneo.core.db import describe_target
from tests.support.cli import luneo
from tests.support.project import Project


def test_reset_where_auth_is_supabase_rebuilds_and_reseeds(project: Project) -> None:
    project.query("create schema auth")  # as on a `supabase start` stack: auth is not the stand-in
    project.migration(
        "20250101000000",
        "create_items",
        "create schema private;\ncreate table private.items (id int primary key, label text not null);\n",
    )
    project.write("supabase/seed.sql", "insert into private.items values (1, 'seeded');\n")
    args = ("--db-url", project.url, "--dir", str(project.root))
    assert luneo("db", "apply", *args).returncode == 0
    project.query("create schema scratch")

    result = luneo("db", "reset", *args)

    assert result.returncode == 0, result.stderr
    target = describe_target(project.url)
    assert f"warning: resetting {target}: dropping what the project made" in result.stderr
    assert f"reset {target}: dropped private, emptied public, cleared the migration ledger" in result.stdout
    assert "applied supabase/migrations/20250101000000_create_items.sql" in result.stdout
    assert "seed loaded: 1 statement(s) from supabase/seed.sql" in result.stdout
    assert project.query("select id, label from private.items") == [(1, "seeded")]
    assert project.scalar("select to_regnamespace('scratch')") is not None
    again = luneo("db", "apply", *args)
    assert again.returncode == 0
    assert "nothing to apply" in again.stdout

    no_seed = luneo("db", "reset", "--no-seed", *args)

    assert no_seed.returncode == 0, no_seed.stderr
    assert "seed loaded" not in no_seed.stdout
    assert project.scalar("select count(*) from private.items") == 0
