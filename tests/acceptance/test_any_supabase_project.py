"""`luneo db apply --dir` on someone else's Supabase project, on plain Postgres, nothing copied.

The project has only what `supabase init` and `supabase migration new` make: supabase/config.toml,
supabase/migrations/*.sql and an Edge Function in TypeScript under supabase/functions/ (which
Luneo must leave alone: there it is Deno code, not SQL). The stand-in comes from the tool.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.acceptance.test_cli import luneo
from tests.support.pg import REPO, create_user, superuser
from tests.support.postgrest import PostgREST


def make_project(root: Path) -> Path:
    (root / "supabase" / "functions" / "hello").mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('project_id = "someone-else"\n')
    (root / "supabase" / "functions" / "hello" / "index.ts").write_text(
        'Deno.serve(() => new Response("hello"))\n'
    )
    migrations = root / "supabase" / "migrations"
    migrations.mkdir()
    starter = REPO / "tests" / "fixtures" / "thirdparty" / "supabase" / "migrations"
    for path in starter.glob("*.sql"):
        (migrations / path.name).write_text(path.read_text())
    return root


def test_a_project_with_only_migrations_applies_on_plain_postgres(tmp_path: Path, empty_db_url: str) -> None:
    project = make_project(tmp_path / "someone-else")

    first = luneo("db", "apply", "--json", "--db-url", empty_db_url, "--dir", str(project))

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["compat_installed"] is True
    assert [a["path"] for a in report["applied"]] == [
        "supabase/migrations/20240101000000_user_management_starter.sql"
    ]
    assert not (project / "supabase" / "compat").exists()
    compat = superuser(
        empty_db_url,
        "select path, success from supabase_migrations.luneo_history where kind = 'compat' order by id",
    )
    assert [r["path"] for r in compat] == [
        "luneo:compat/00_roles.sql",
        "luneo:compat/10_schemas.sql",
        "luneo:compat/20_auth.sql",
        "luneo:compat/30_storage.sql",
        "luneo:compat/40_realtime.sql",
        "luneo:compat/50_grants.sql",
    ]
    assert all(r["success"] for r in compat)

    # the project works as it would on Supabase: sign-up creates the profile, RLS guards it
    user = create_user(empty_db_url, "ana@example.com", {"full_name": "Ana Lima"})
    (profile,) = PostgREST(empty_db_url).user(user, "ana@example.com").select("profiles")
    assert profile["full_name"] == "Ana Lima"
    assert PostgREST(empty_db_url).user(uuid.uuid4()).update("profiles", {"full_name": "x"}, id=user) == []

    again = luneo("db", "verify", "--db-url", empty_db_url, "--dir", str(project))
    assert again.returncode == 0, again.stdout + again.stderr
    status = luneo("db", "status", "--json", "--db-url", empty_db_url, "--dir", str(project))
    assert [(f["path"], f["state"]) for f in json.loads(status.stdout)] == [
        ("supabase/migrations/20240101000000_user_management_starter.sql", "applied")
    ]
