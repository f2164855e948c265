"""Passwords are never printed, and `dev` and `seed` refuse a database that is not local."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.cli import luneo
from tests.support.project import Project

PASSWORD = "s3cret-pw"
REMOTE = f"postgresql://postgres:{PASSWORD}@db.example.invalid:5432/postgres"


def with_password(url: str, password: str) -> str:
    """The same URL with a password: the test servers trust local connections and ignore it."""
    parts = urlsplit(url)
    user = parts.netloc.split("@")[0].split(":")[0]
    host = parts.netloc.split("@", 1)[1] if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def seeded_project(project: Project) -> Project:
    project.migration("20250101000000", "create_items", "create table public.items (id int primary key);\n")
    project.write("supabase/seed.sql", "insert into public.items values (1) on conflict do nothing;\n")
    return project


def test_dev_hides_the_password_in_its_psql_line(project: Project) -> None:
    url = with_password(seeded_project(project).url, PASSWORD)
    result = luneo("dev", "--db-url", url, "--dir", str(project.root))
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "connect with:  psql 'postgresql://postgres:***@" in result.stdout
    assert project.scalar("select count(*) from public.items") == 1


def test_db_url_hides_a_configured_password(project: Project) -> None:
    url = with_password(project.url, PASSWORD)
    result = luneo("db", "url", cwd=project.root, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == url.replace(PASSWORD, "***")


@pytest.mark.parametrize("command", [["dev"], ["dev", "--no-seed"], ["db", "seed"]])
def test_dev_and_seed_refuse_a_remote_database_without_force(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "supabase").mkdir()
    (tmp_path / "supabase" / "seed.sql").write_text("select 1;\n")
    result = luneo(*command, "--db-url", REMOTE, "--dir", str(tmp_path))
    assert result.returncode == 2
    action = "load the seed into" if command == ["db", "seed"] else "run luneo dev against"
    assert result.stderr.strip() == (
        f"error: refusing to {action} postgres@db.example.invalid:5432/postgres, which is not local; pass --force"
    )
    assert result.stdout == ""

    forced = luneo(*command, "--force", "--db-url", REMOTE, "--dir", str(tmp_path))
    assert forced.returncode == 2  # past the guard: nothing answers at that name
    assert "error: cannot connect to postgres@db.example.invalid:5432/postgres" in forced.stderr
    assert PASSWORD not in forced.stdout + forced.stderr


def test_seed_loads_a_local_database_without_force(project: Project) -> None:
    seeded_project(project)
    assert luneo("db", "apply", "--db-url", project.url, "--dir", str(project.root)).returncode == 0
    result = luneo("db", "seed", "--db-url", with_password(project.url, PASSWORD), "--dir", str(project.root))
    assert result.returncode == 0, result.stderr
    assert project.scalar("select count(*) from public.items") == 1


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://u:p%zzw@127.0.0.1/db", "p%zzw"),  # libpq: invalid percent-encoded token: "p%zzw"
        ("postgresql://u:pa%2Fss@[::1/db", "pa/ss"),  # libpq quotes the whole URI, decoded or not
        ("postgresql://u:s3cret@bad host:5432/db", "s3cret"),
    ],
)
@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_libpq_messages_never_show_the_password(
    tmp_path: Path, url: str, secret: str, debug: list[str]
) -> None:
    (tmp_path / "supabase").mkdir()
    result = luneo(*debug, "db", "status", "--db-url", url, "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "error: invalid database URL postgresql://u:***@" in result.stderr
    assert secret not in result.stdout + result.stderr
    assert secret.replace("/", "%2F") not in result.stdout + result.stderr
    assert ("Traceback" in result.stderr) == bool(debug)
