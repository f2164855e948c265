"""Settings precedence and URL helpers (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from luneo.core import db
from luneo.core.errors import ConfigError, UsageError
from luneo.core.settings import load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "SUPABASE_DB_URL",
        "LUNEO_LOCK_WAIT",
        "LUNEO_DDL_LOCK_TIMEOUT",
        "LUNEO_DDL_RETRIES",
    ):
        monkeypatch.delenv(name, raising=False)


def test_no_url_anywhere_means_the_embedded_default(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.database_url is None
    assert settings.embedded_dir == tmp_path.resolve() / ".luneo"
    assert (settings.lock_wait_seconds, settings.ddl_lock_timeout, settings.ddl_retries) == (60.0, "5s", 3)


def test_flag_beats_environment_beats_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://dotenv@h/db\nLUNEO_LOCK_WAIT=7\n")
    assert load_settings(tmp_path).database_url == "postgresql://dotenv@h/db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@h/db")
    assert load_settings(tmp_path).database_url == "postgresql://env@h/db"
    assert load_settings(tmp_path, "postgresql://flag@h/db").database_url == "postgresql://flag@h/db"
    assert load_settings(tmp_path).lock_wait_seconds == 7.0


def test_supabase_db_url_is_read_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_DB_URL", "postgres://s@h:5432/postgres")
    assert load_settings(tmp_path).database_url == "postgres://s@h:5432/postgres"


def test_bad_settings_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_settings(tmp_path / "missing")
    with pytest.raises(ConfigError, match="must start with postgresql://"):
        load_settings(tmp_path, "mysql://x")
    monkeypatch.setenv("LUNEO_LOCK_WAIT", "soon")
    with pytest.raises(ConfigError, match="LUNEO_LOCK_WAIT must be a number of seconds"):
        load_settings(tmp_path)


def test_url_helpers() -> None:
    assert db.redact("postgresql://u:s3cret@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert db.uses_transaction_pooler("postgresql://u@aws-0.pooler.supabase.com:6543/postgres")
    assert not db.uses_transaction_pooler("postgresql://u@db.x.supabase.co:5432/postgres")
    assert db.is_local("postgresql://u@127.0.0.1/d")
    assert db.is_local("postgresql://u:@/d?host=/tmp/sock")
    assert not db.is_local("postgresql://u@db.x.supabase.co/d")
    assert db.with_database("postgresql://u:@/a?host=/tmp/s", "b") == "postgresql://u:@/b?host=/tmp/s"
    assert db.describe_target("postgresql://u:pw@h:6000/d") == "u@h:6000/d"
