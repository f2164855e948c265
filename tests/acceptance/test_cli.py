"""The real `luneo` command in a subprocess: exit codes, one-line errors, JSON, embedded default."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import luneo
from tests.support.pg import REPO
from tests.support.project import Project


def test_apply_then_noop_then_json_status(project: Project) -> None:
    project.migration("20250101000000", "create_items", "create table public.items (id int primary key);\n")
    first = luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root))
    assert first.returncode == 0, first.stderr
    assert "applied supabase/migrations/20250101000000_create_items.sql" in first.stdout
    assert "installed the Supabase stand-in" in first.stdout

    second = luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root))
    assert second.returncode == 0
    assert "nothing to apply" in second.stdout

    status = luneo("db", "status", "--json", "--db-url", project.url, "--dir", str(project.root))
    assert [(f["path"], f["state"]) for f in json.loads(status.stdout)] == [
        ("supabase/migrations/20250101000000_create_items.sql", "applied")
    ]


def test_failing_file_exits_1_with_file_line_and_message(project: Project) -> None:
    project.migration("20250101000000", "broken", "select 1;\nselect * from public.missing;\n")
    result = luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root))
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error_lines == [
        'error: supabase/migrations/20250101000000_broken.sql:2: relation "public.missing" does not exist (SQLSTATE 42P01)'
    ]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(project: Project) -> None:
    project.migration("20250101000000", "broken", "select * from public.missing;\n")
    result = luneo("--debug", "db", "apply", "--db-url", project.url, "--dir", str(project.root))
    assert result.returncode == 1
    assert "Traceback" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["db", "apply", "--dir", "/no/such/dir"], "error: project directory /no/such/dir does not exist"),
        (
            ["db", "apply", "--db-url", "postgresql://nobody@127.0.0.1:1/x"],
            "error: cannot connect to nobody@127.0.0.1:1/x",
        ),
        (["db", "apply", "--db-url", "mysql://x"], "error: the database URL must start with postgresql://"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "supabase").mkdir()
    result = luneo(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_a_migration_is_skipped_with_a_warning(project: Project) -> None:
    project.write("supabase/migrations/create_items.sql", "create table public.items (id int);\n")
    project.migration("20250101000000", "Create-Orders", "create table public.orders (id int);\n")
    result = luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root))
    assert result.returncode == 0, result.stderr
    assert "applied supabase/migrations/20250101000000_Create-Orders.sql" in result.stdout
    assert (
        "warning: skipping supabase/migrations/create_items.sql: a migration is named <digits>_<name>.sql"
        in result.stderr
    )
    assert project.scalar("select to_regclass('public.items')") is None


def test_verify_exits_1_on_drift(project: Project) -> None:
    project.migration("20250101000000", "create_items", "create table public.items (id int primary key);\n")
    assert luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root)).returncode == 0
    assert luneo("db", "verify", "--db-url", project.url, "--dir", str(project.root)).returncode == 0

    project.query("create index items_sneaky_idx on public.items (id)")
    result = luneo("db", "verify", "--json", "--db-url", project.url, "--dir", str(project.root))

    assert result.returncode == 1
    assert json.loads(result.stdout)["drift"] == ["added index public.items_sneaky_idx"]


def test_dry_run_lists_and_rolls_back(project: Project) -> None:
    project.migration("20250101000000", "create_items", "create table public.items (id int primary key);\n")
    result = luneo("db", "apply", "--dry-run", "--json", "--db-url", project.url, "--dir", str(project.root))
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert [a["path"] for a in report["applied"]] == ["supabase/migrations/20250101000000_create_items.sql"]
    assert project.scalar("select to_regnamespace('supabase_migrations')") is None


def test_new_creates_a_correctly_named_file(tmp_path: Path) -> None:
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    (tmp_path / "supabase" / "migrations" / "29990101000000_future.sql").write_text("select 1;\n")
    result = luneo("db", "new", "Create Orders", "--dir", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "supabase/migrations/29990101000001_create_orders.sql"
    assert (tmp_path / result.stdout.strip()).read_text().startswith("-- create orders\n")


def test_lint_exits_1_on_findings_and_0_when_clean(tmp_path: Path) -> None:
    (tmp_path / ".sqlfluff").write_text((REPO / ".sqlfluff").read_text())
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    path = migrations / "20250101000000_create_items.sql"
    path.write_text("create table public.items (id bigint primary key);\n")

    result = luneo("db", "lint", "--json", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert [(f["rule"], f["line"]) for f in json.loads(result.stdout)] == [("table-without-rls", 1)]

    path.write_text(
        "create table public.items (id bigint primary key);\n\nalter table public.items enable row level security;\n"
    )
    clean = luneo("db", "lint", "--dir", str(tmp_path))
    assert clean.returncode == 0, clean.stdout
    assert "ok: no findings" in clean.stdout


def test_the_project_itself_lints_clean() -> None:
    result = luneo("db", "lint", "--dir", str(REPO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dev_uses_the_embedded_default_with_no_url(embedded_project: Path) -> None:
    """No flag, no environment, no .env: a private Postgres under .luneo/ is started and reused."""
    project = embedded_project
    for sub in ("migrations", "functions", "policies"):
        src = REPO / "supabase" / sub
        if src.is_dir():
            subprocess.run(["cp", "-r", str(src), str(project / "supabase" / sub)], check=True)
    for seed in ("seed.sql", "config.toml", "seeds"):
        subprocess.run(
            ["cp", "-r", str(REPO / "supabase" / seed), str(project / "supabase" / seed)], check=True
        )
    first = luneo("dev", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "seed loaded: " in first.stdout
    assert "statement(s) from 6 files in one transaction" in first.stdout
    assert "  supabase/seeds/40_invoices.sql: 1 statement(s)" in first.stdout
    assert "connect with:  psql 'postgresql://postgres:@/postgres?host=" in first.stdout
    url = luneo("db", "url", cwd=project).stdout.strip()
    assert str(project / ".luneo" / "pgdata") in url
    again = luneo("dev", cwd=project)
    assert again.returncode == 0
    assert "nothing to apply" in again.stdout
    users = luneo("db", "verify", cwd=project)
    assert users.returncode == 0, users.stdout + users.stderr


def test_wheel_installs_only_under_the_luneo_namespace(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("luneo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"luneo"}
    assert {
        "luneo/core/migrations/ledger.sql",
        "luneo/core/checks/advisor.sql",
        "luneo/core/compat/20_auth.sql",
    } <= set(names)
    assert "luneo/cli/main.py" in names


def test_transaction_pooler_url_gets_a_warning(tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    result = luneo(
        "db", "apply", "--db-url", "postgresql://x@127.0.0.1:6543/postgres", "--dir", str(tmp_path)
    )
    assert "warning: port 6543 is Supabase's transaction pooler" in result.stderr
    assert result.returncode == 2  # nothing listens there: could not run


def test_lint_database_runs_the_security_advisor(project: Project) -> None:
    (project.root / ".sqlfluff").write_text((REPO / ".sqlfluff").read_text())
    project.migration(
        "20250101000000",
        "create_items",
        "create table public.items (id bigint primary key);\n\nalter table public.items enable row level security;\n",
    )
    assert luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root)).returncode == 0
    args = ("db", "lint", "--database", "--json", "--db-url", project.url, "--dir", str(project.root))
    assert (
        luneo(*args).returncode == 0
    )  # rls_enabled_no_policy is INFO: reported by the advisor, not a finding

    project.query("alter table public.items disable row level security")
    result = luneo(*args)

    assert result.returncode == 1
    assert [(f["path"], f["rule"], f["severity"]) for f in json.loads(result.stdout)] == [
        ("public.items", "advisor:rls_disabled_in_public", "error")
    ]
