"""What each install pulls: the workers need neither an embedded Postgres server nor a linter."""

from __future__ import annotations

import re
import sys
from importlib.metadata import requires
from pathlib import Path

import pytest

from luneo.core import migrations
from luneo.core.errors import MissingExtra
from luneo.core.migrations.files import parse
from luneo.core.settings import load_settings


def requirements() -> dict[str, set[str]]:
    """extra ('' for the base install) -> names of the distributions it adds."""
    by_extra: dict[str, set[str]] = {}
    for line in requires("luneo") or []:
        name = re.match(r"[A-Za-z0-9_.-]+", line)
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", line)
        assert name is not None
        by_extra.setdefault(extra[1] if extra else "", set()).add(name[0].lower())
    return by_extra


def test_a_workers_only_install_pulls_no_server_no_parser_no_linter() -> None:
    base = requirements()[""]
    assert {"psycopg", "typer", "httpx"} <= base
    assert base.isdisjoint({"pgserver", "sqlfluff", "pglast", "pytest"})


def test_each_extra_adds_its_part_and_all_sets_up_everything() -> None:
    extras = requirements()
    assert extras["migrations"] == {"pglast"}
    assert extras["embedded"] == {"pgserver", "psutil"}
    assert extras["checks"] == {"pglast", "sqlfluff"}
    assert extras["all"] == {"luneo"}  # luneo[migrations,embedded,checks]
    assert "luneo" in extras["test"]


def test_without_the_parser_migrations_say_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pglast", None)  # import pglast now raises ImportError
    with pytest.raises(MissingExtra, match=r"pip install 'luneo\[migrations\]'"):
        parse("select 1;", "supabase/migrations/x.sql")


def test_without_the_embedded_server_and_no_url_the_error_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SUPABASE_DB_URL", raising=False)
    monkeypatch.setitem(sys.modules, "pgserver", None)
    with pytest.raises(MissingExtra, match=r"no database URL is set.*pip install 'luneo\[embedded\]'"):
        migrations.database_url(load_settings(tmp_path))
