"""Throw-away Luneo projects for engine tests: the real stand-in plus files a test writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg

from luneo.core.settings import Settings, load_settings
from tests.support.pg import REPO


class Project:
    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        shutil.copytree(REPO / "supabase" / "compat", root / "supabase" / "compat")
        (root / "supabase" / "migrations").mkdir(parents=True)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def migration(self, version: str, name: str, text: str) -> Path:
        return self.write(f"supabase/migrations/{version}_{name}.sql", text)

    def settings(self, **overrides: object) -> Settings:
        settings = load_settings(self.root, self.url)
        return Settings(**{**vars(settings), **overrides})

    def query(self, sql: str, params: object = None) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def scalar(self, sql: str, params: object = None) -> object:
        return self.query(sql, params)[0][0]
