"""Throw-away Supabase projects for engine tests: a `supabase/` folder a test writes files into,
bound to an empty database (the stand-in comes from the tool, as for any project)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from luneo.core.settings import MigrationSettings, Settings, load_settings
from tests.support.pg import Superuser

_MIGRATION_FIELDS = set(MigrationSettings.__dataclass_fields__)


class Project:
    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        self.su = Superuser(url)
        (root / "supabase" / "migrations").mkdir(parents=True)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def migration(self, version: str, name: str, text: str) -> Path:
        return self.write(f"supabase/migrations/{version}_{name}.sql", text)

    def settings(self, **overrides: Any) -> Settings:
        """The project's settings; migration settings (lock_wait_seconds, ...) may be overridden."""
        settings = load_settings(self.root, self.url)
        unknown = overrides.keys() - _MIGRATION_FIELDS - {"database_url"}
        assert not unknown, f"not a setting: {unknown}"
        migrations = replace(
            settings.migrations, **{k: v for k, v in overrides.items() if k in _MIGRATION_FIELDS}
        )
        return replace(settings, migrations=migrations, database_url=overrides.get("database_url", self.url))

    def query(self, sql: str, params: object = None) -> list[tuple]:
        return self.su.tuples(sql, params)

    def scalar(self, sql: str, params: object = None) -> Any:
        return self.su.scalar(sql, params)
