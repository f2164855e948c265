"""`luneo status`: the connection, the migration summary and the frontend's values, no secret."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.test_cli_secrets import with_password
from tests.support.cli import luneo
from tests.support.project import Project

PASSWORD = "status-pw-41"
SERVICE_ROLE_KEY = "eyJservice.role.secret-7781"
ANON_KEY = "eyJanon.public-key-1234"


def applied_and_pending(project: Project) -> None:
    project.migration("20250101000000", "items", "create table public.items (id int primary key);\n")
    result = luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root))
    assert result.returncode == 0, result.stderr
    project.migration("20250102000000", "tags", "create table public.tags (id int primary key);\n")
    project.write(
        "supabase/functions/f.sql", "create function public.f() returns int language sql as 'select 1';\n"
    )


def test_a_configured_url_is_printed_without_its_password_with_the_migration_summary(
    project: Project,
) -> None:
    applied_and_pending(project)
    url = with_password(project.url, PASSWORD)
    env = {"DATABASE_URL": url}

    result = luneo("status", cwd=project.root, env=env)

    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"DB URL:      {url.replace(PASSWORD, '***')}",
        "migrations:  1 applied, 2 pending",
    ]
    as_json = json.loads(luneo("status", "--json", cwd=project.root, env=env).stdout)
    assert as_json["db_url"] == url.replace(PASSWORD, "***")
    assert (as_json["source"], as_json["running"]) == ("configured", True)
    assert as_json["migrations"] == {"applied": 1, "pending": 2}
    assert (as_json["api_url"], as_json["anon_key"], as_json["service_role_key_set"]) == (None, None, False)


def test_frontend_values_from_the_project_env_file(project: Project) -> None:
    applied_and_pending(project)
    project.write(
        ".env",
        f"DATABASE_URL={project.url}\n"
        "NEXT_PUBLIC_SUPABASE_URL=http://127.0.0.1:54321\n"
        f"NEXT_PUBLIC_SUPABASE_ANON_KEY={ANON_KEY}\n",
    )
    sub = project.root / "supabase" / "migrations"  # found from a subdirectory, as every command

    text = luneo("status", cwd=sub)
    as_json = json.loads(luneo("status", "--json", cwd=sub).stdout)

    assert text.returncode == 0, text.stderr
    assert "API URL:     http://127.0.0.1:54321" in text.stdout.splitlines()
    assert f"anon key:    {ANON_KEY}" in text.stdout.splitlines()
    assert "service_role" not in text.stdout
    assert (as_json["api_url"], as_json["anon_key"]) == ("http://127.0.0.1:54321", ANON_KEY)


def test_the_server_names_win_over_the_next_public_ones_and_the_service_role_key_is_never_printed(
    project: Project,
) -> None:
    project.write(".env", f"NEXT_PUBLIC_SUPABASE_URL=http://frontend.invalid\nSUPABASE_ANON_KEY={ANON_KEY}\n")
    env = {
        "DATABASE_URL": project.url,
        "SUPABASE_URL": "https://abcdefgh.supabase.co",
        "SUPABASE_SERVICE_ROLE_KEY": SERVICE_ROLE_KEY,
    }

    text = luneo("status", cwd=project.root, env=env)
    as_json = luneo("status", "--json", cwd=project.root, env=env)
    debug = luneo("--debug", "status", cwd=project.root, env=env)

    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"DB URL:            {project.url}",
        "migrations:        no migration files",
        "API URL:           https://abcdefgh.supabase.co",
        f"anon key:          {ANON_KEY}",
        "service_role key:  set (not printed)",
    ]
    assert json.loads(as_json.stdout)["service_role_key_set"] is True
    for result in (text, as_json, debug):
        assert SERVICE_ROLE_KEY not in result.stdout + result.stderr


def test_a_stopped_embedded_server_is_reported_not_started(tmp_path: Path) -> None:
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / ".env").write_text(f"SUPABASE_URL=http://127.0.0.1:54321\nSUPABASE_ANON_KEY={ANON_KEY}\n")

    text = luneo("status", cwd=tmp_path)
    as_json = luneo("status", "--json", cwd=tmp_path)

    assert (text.returncode, as_json.returncode) == (1, 1)
    pgdata = tmp_path.resolve() / ".luneo" / "pgdata"
    assert text.stdout.splitlines() == [
        f"DB URL:      not running (embedded, data directory {pgdata})",
        "migrations:  unknown (no database)",
        "API URL:     http://127.0.0.1:54321",
        f"anon key:    {ANON_KEY}",
    ]
    assert json.loads(as_json.stdout) | {"data_dir": None} == {
        "db_url": None,
        "source": "embedded",
        "running": False,
        "data_dir": None,
        "migrations": None,
        "api_url": "http://127.0.0.1:54321",
        "anon_key": ANON_KEY,
        "service_role_key_set": False,
    }
    assert not (tmp_path / ".luneo").exists()  # nothing was started


def test_outside_a_project_with_no_url_it_cannot_run(tmp_path: Path) -> None:
    result = luneo("status", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a Supabase project" in result.stderr
