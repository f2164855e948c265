"""Luneo's SQL pgcrypto and uuid-ossp copied into an extension directory: complete, readable by
the server's system user, never over a real extension, and safe with many processes at once."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from luneo.core import embedded, extensions

FILES = ["pgcrypto--1.3.sql", "pgcrypto.control", "uuid-ossp--1.1.sql", "uuid-ossp.control"]
REAL_CONTROL = b"# pgcrypto extension\ncomment = 'cryptographic functions'\ndefault_version = '1.3'\n"


def packaged() -> dict[str, bytes]:
    found = {}
    for extension in extensions.extensions():
        found[f"{extension.name}.control"] = extension.control
        found.update(extension.scripts)
    return found


def contents(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_the_package_holds_both_extensions_marked_as_luneos() -> None:
    assert sorted(packaged()) == FILES
    for extension in extensions.extensions():
        assert extensions.MARK in extension.control
        assert b"relocatable = true" in extension.control
        assert b"trusted = true" in extension.control


def test_installs_every_file_readable_by_all_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        written = embedded.install_extensions(tmp_path)
    finally:
        os.umask(previous)

    assert sorted(written) == FILES
    assert contents(tmp_path) == packaged()
    assert {(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()} == {0o644}


def test_a_second_install_writes_nothing(tmp_path: Path) -> None:
    embedded.install_extensions(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}

    assert embedded.install_extensions(tmp_path) == []
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_a_real_extension_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "pgcrypto.control").write_bytes(REAL_CONTROL)

    written = embedded.install_extensions(tmp_path)

    assert sorted(written) == ["uuid-ossp--1.1.sql", "uuid-ossp.control"]
    assert (tmp_path / "pgcrypto.control").read_bytes() == REAL_CONTROL
    assert not (tmp_path / "pgcrypto--1.3.sql").exists()


def test_an_older_copy_of_luneos_own_is_brought_up_to_date(tmp_path: Path) -> None:
    embedded.install_extensions(tmp_path)
    (tmp_path / "uuid-ossp--1.1.sql").write_text("-- an older version\n")
    (tmp_path / "uuid-ossp.control").chmod(0o600)

    assert sorted(embedded.install_extensions(tmp_path)) == ["uuid-ossp--1.1.sql", "uuid-ossp.control"]
    assert contents(tmp_path) == packaged()
    assert (tmp_path / "uuid-ossp.control").stat().st_mode & 0o777 == 0o644


def test_processes_installing_at_once_leave_whole_files_and_no_temporary_ones(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from luneo.core import embedded; embedded.install_extensions(Path(sys.argv[1]))"
    processes = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)]) for _ in range(8)]

    assert [p.wait(timeout=60) for p in processes] == [0] * 8
    assert contents(tmp_path) == packaged()


def test_a_directory_that_cannot_be_written_is_a_warning_not_a_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")

    with caplog.at_level(logging.WARNING, logger="luneo.core.embedded"):
        assert embedded.install_extensions(not_a_directory) == []

    assert "could not install Luneo's SQL pgcrypto and uuid-ossp" in caplog.text


def test_the_embedded_servers_extension_directory_gets_them() -> None:
    directory = embedded.extension_dir()
    assert (directory / "plpgsql.control").is_file()  # the wheel's own PostgreSQL

    embedded.install_extensions()

    for name, content in packaged().items():
        assert (directory / name).read_bytes() == content
