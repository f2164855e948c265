"""Commands find the project from any subdirectory, and never start a server outside one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import luneo
from tests.support.project import Project


def test_new_inside_supabase_migrations_writes_next_to_the_others(tmp_path: Path) -> None:
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    result = luneo("db", "new", "create_orders", cwd=migrations)
    assert result.returncode == 0, result.stderr
    (created,) = migrations.glob("*_create_orders.sql")
    assert result.stdout.strip() == f"supabase/migrations/{created.name}"
    assert not (migrations / "supabase").exists()


def test_a_subdirectory_finds_the_project_and_its_env(project: Project) -> None:
    project.migration("20250101000000", "create_items", "create table public.items (id int primary key);\n")
    project.write(".env", f"DATABASE_URL={project.url}\n")
    (project.root / "supabase" / "functions" / "billing").mkdir(parents=True)

    applied = luneo("db", "apply", cwd=project.root / "supabase" / "functions" / "billing")
    assert applied.returncode == 0, applied.stderr
    assert project.scalar("select to_regclass('public.items')::text") == "items"

    status = luneo("db", "status", "--json", cwd=project.root / "supabase" / "migrations")
    assert status.returncode == 0, status.stderr
    assert [(f["path"], f["state"]) for f in json.loads(status.stdout)] == [
        ("supabase/migrations/20250101000000_create_items.sql", "applied")
    ]


@pytest.mark.parametrize("command", [["db", "url"], ["dev"], ["db", "apply"], ["embedded", "start"]])
def test_no_server_is_started_outside_a_project(tmp_path: Path, command: list[str]) -> None:
    result = luneo(*command, cwd=tmp_path)
    assert result.returncode == 2
    (message,) = result.stderr.splitlines()
    assert message.startswith(f"error: {tmp_path} ")
    assert "no supabase/ directory" in message
    assert list(tmp_path.iterdir()) == []  # no .luneo/, no server


def test_lint_without_a_sqlfluff_configuration_uses_the_shipped_default(tmp_path: Path) -> None:
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    path = migrations / "20250101000000_create_items.sql"
    # upper case throughout is consistent: the default does not impose the house's lower case
    path.write_text(
        "CREATE TABLE public.items (id BIGINT PRIMARY KEY);\n\n"
        "ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;\n\n"
        'CREATE POLICY "Anyone can read items" ON public.items FOR SELECT TO anon USING (TRUE);\n'
    )
    clean = luneo("db", "lint", cwd=migrations)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.strip() == "ok: no findings"

    path.write_text(path.read_text() + "SELECT  1;\n")
    findings = luneo("db", "lint", "--json", cwd=tmp_path)
    assert findings.returncode == 1, findings.stderr
    assert [(f["rule"], f["line"]) for f in json.loads(findings.stdout)] == [("sqlfluff:LT01", 6)]
