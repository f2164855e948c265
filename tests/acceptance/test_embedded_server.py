"""`luneo embedded start|status|stop`, and a server that crashed is started again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.support.cli import luneo
from tests.support.pg import Superuser


@pytest.fixture
def project(embedded_project: Path) -> Path:
    return embedded_project


def pid_file(project: Path) -> Path:
    return project / ".luneo" / "pgdata" / "postmaster.pid"


def start(project: Path) -> str:
    result = luneo("embedded", "start", cwd=project)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"pid {pid} still alive"
        time.sleep(0.05)


def test_start_status_stop(project: Path) -> None:
    url = start(project)
    with Superuser(url) as su:
        assert su.scalar("select 1") == 1

    status = luneo("embedded", "status", "--json", cwd=project)
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    pid = int(pid_file(project).read_text().split()[0])
    assert info["running"] is True
    assert (info["url"], info["pid"]) == (url, pid)
    assert info["data_dir"] == str(project / ".luneo" / "pgdata")
    assert info["version"].split(".")[0] == (project / ".luneo" / "pgdata" / "PG_VERSION").read_text().strip()
    text = luneo("embedded", "status", cwd=project).stdout
    assert f"pid:       {pid}\n" in text
    assert f"url:       {url}\n" in text

    stopped = luneo("embedded", "stop", cwd=project)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == f"stopped (pid {pid})"
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not pid_file(project).exists()

    after = luneo("embedded", "status", cwd=project)
    assert after.returncode == 1
    assert after.stdout.strip() == f"not running (data directory {project / '.luneo' / 'pgdata'})"
    again = luneo("embedded", "stop", cwd=project)
    assert (again.returncode, again.stdout.strip()) == (0, "not running")


def test_a_killed_server_is_started_again(project: Path) -> None:
    start(project)
    pid = int(pid_file(project).read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    assert pid_file(project).exists()  # what a crash leaves behind

    url = luneo("db", "url", cwd=project)
    assert url.returncode == 0, url.stderr
    assert int(pid_file(project).read_text().split()[0]) != pid
    with Superuser(url.stdout.strip()) as su:
        assert su.scalar("select 1") == 1


def test_a_stale_pid_file_naming_a_live_process_is_cleared_without_touching_it(project: Path) -> None:
    """The pid of a crashed server now belongs to another program: pgserver would take it for a
    running server and Postgres would refuse to start. Neither happens, and the program lives on."""
    start(project)
    stale = pid_file(project).read_text()
    assert luneo("embedded", "stop", cwd=project).returncode == 0
    with subprocess.Popen(["sleep", "120"]) as other:
        try:
            pid_file(project).write_text(f"{other.pid}\n" + stale.split("\n", 1)[1])
            result = luneo("embedded", "start", cwd=project)
            assert result.returncode == 0, result.stderr
            assert "warning: removing a stale postmaster.pid" in result.stderr
            assert other.poll() is None
            with Superuser(result.stdout.strip()) as su:
                assert su.scalar("select 1") == 1
        finally:
            other.kill()


def test_a_server_that_lost_its_socket_is_restarted(project: Path) -> None:
    url = start(project)
    pid = int(pid_file(project).read_text().split()[0])
    socket_dir, port = url.split("host=")[1].split("&port=")
    (Path(socket_dir) / f".s.PGSQL.{port}").unlink()

    result = luneo("embedded", "start", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "lost its socket; restarting" in result.stderr
    wait_gone(pid)
    with Superuser(result.stdout.strip()) as su:
        assert su.scalar("select 1") == 1


def test_the_server_offers_luneos_pgcrypto_and_uuid_ossp_to_any_database_owner(project: Path) -> None:
    """The wheel ships neither: Luneo's SQL implementations are there, trusted as the real ones
    (a role with CREATE on the database installs them) and readable by the server's system user."""
    url = start(project)
    with Superuser(url) as su:
        offered = su.tuples(
            "select name, default_version, comment from pg_available_extensions"
            " where name in ('pgcrypto', 'uuid-ossp') order by name"
        )
        assert [(name, version) for name, version, _ in offered] == [
            ("pgcrypto", "1.3"),
            ("uuid-ossp", "1.1"),
        ]
        assert all("Luneo's SQL implementation for the embedded server" in comment for *_, comment in offered)
        su("create role app_owner login")
        su("grant create on database postgres to app_owner")
        su("set role app_owner")
        su("create schema extensions")
        su("create extension pgcrypto with schema extensions")
        su('create extension "uuid-ossp" with schema extensions')
        assert su.scalar("select encode(extensions.digest('abc', 'sha1'), 'hex')") == (
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        )
        assert str(
            su.scalar("select extensions.uuid_generate_v3(extensions.uuid_ns_dns(), 'www.example.com')")
        ) == ("5df41881-3aed-3515-88a7-2f4a814cf09e")
