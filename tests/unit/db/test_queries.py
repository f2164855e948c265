"""The named-query loader: one namespace per package, duplicates refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from luneo.core.db import DuplicateQuery, Queries


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable package `queries_pkg` in tmp_path, to write .sql files into."""
    monkeypatch.delitem(sys.modules, "queries_pkg", raising=False)
    root = tmp_path / "queries_pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    return root


def test_sections_of_every_file_are_loaded(package: Path) -> None:
    (package / "a.sql").write_text(
        "-- a header comment, ignored\n\n-- one --\nselect 1;\n\n-- two --\nselect %(x)s;\n"
    )
    (package / "b.sql").write_text("-- three --\n-- what it does\nselect 3\n")
    (package / "notes.txt").write_text("-- four --\nnot sql\n")

    queries = Queries.load("queries_pkg")

    assert dict(queries) == {"one": "select 1;", "two": "select %(x)s;", "three": "-- what it does\nselect 3"}


def test_a_name_defined_in_two_files_is_refused(package: Path) -> None:
    (package / "a.sql").write_text("-- lock --\nselect 1;\n")
    (package / "b.sql").write_text("-- lock --\nselect 2;\n")
    with pytest.raises(
        DuplicateQuery, match=r"'lock' is defined twice: in queries_pkg/a.sql and queries_pkg/b.sql"
    ):
        Queries.load("queries_pkg")


def test_a_name_defined_twice_in_one_file_is_refused(package: Path) -> None:
    (package / "a.sql").write_text("-- lock --\nselect 1;\n-- lock --\nselect 2;\n")
    with pytest.raises(DuplicateQuery, match="'lock' is defined twice in the same file"):
        Queries.load("queries_pkg")


def test_an_unknown_name_says_where_it_looked(package: Path) -> None:
    (package / "a.sql").write_text("-- one --\nselect 1;\n")
    with pytest.raises(KeyError, match="no query 'two' in the .sql files of queries_pkg"):
        Queries.load("queries_pkg")["two"]


@pytest.mark.parametrize("package_name", ["luneo.core.migrations", "luneo.core.checks"])
def test_the_shipped_packages_load_without_clashes(package_name: str) -> None:
    queries = Queries.load(package_name)
    assert len(queries) > 0
    assert all((body and not body.startswith("-- ")) or "\n" in body for body in queries.values())
