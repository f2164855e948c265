"""Databases for tests: a real Postgres server, a template built once, a clone per test."""

from __future__ import annotations

import os
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from luneo.core import embedded
from luneo.core.db import with_database

REPO = Path(__file__).resolve().parents[2]


def server_url() -> str:
    """`LUNEO_TEST_DATABASE_URL`, a testcontainers Supabase image on request, else embedded."""
    if url := os.environ.get("LUNEO_TEST_DATABASE_URL"):
        return url
    if os.environ.get("LUNEO_TEST_BACKEND") == "testcontainers":
        return _container_url()
    return embedded.ensure_server(REPO / ".luneo" / "test")


def _container_url() -> str:
    """Opt-in: the real `supabase/postgres` image, where a Docker engine exists."""
    from testcontainers.postgres import PostgresContainer

    image = os.environ.get("LUNEO_TEST_SUPABASE_IMAGE", "supabase/postgres:15.8.1.085")
    container = PostgresContainer(image, username="postgres", password="postgres", dbname="postgres")
    container.start()
    import atexit

    atexit.register(container.stop)
    host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
    return f"postgresql://postgres:postgres@{host}:{port}/postgres"


class Databases:
    """Creates databases on the test server and drops them again."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.created: list[str] = []

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def create(self, template: str | None = None, name: str | None = None) -> str:
        name = name or f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        query = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} template {}").format(query, sql.Identifier(template))
        with self._admin() as conn:
            conn.execute(query)
            if template:  # `create database ... template` does not copy `alter database ... set`
                settings = conn.execute(
                    "select unnest(s.setconfig) from pg_db_role_setting as s"
                    " join pg_database as d on d.oid = s.setdatabase where d.datname = %s and s.setrole = 0",
                    [template],
                ).fetchall()
                for (setting,) in settings:
                    key, value = setting.split("=", 1)
                    items = [  # list settings keep their items: "$user", 'public', 'extensions'
                        sql.SQL(item) if item.startswith('"') else sql.Literal(item)
                        for item in value.split(", ")
                    ]
                    conn.execute(
                        sql.SQL("alter database {} set {} = {}").format(
                            sql.Identifier(name), sql.Identifier(key), sql.SQL(", ").join(items)
                        )
                    )
        self.created.append(name)
        return with_database(self.url, name)

    def drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        with suppress(ValueError):
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name)


def superuser(url: str, query: str, params: Any = None) -> list[dict]:
    """Setup and inspection only: the database owner, bypassing RLS."""
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def dbname(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(url)["dbname"]


def create_user(
    url: str, email: str, metadata: dict | None = None, *, user_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Insert a user into auth.users as the Supabase Auth server would (superuser connection)."""
    user_id = user_id or uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data,"
            " email_confirmed_at) values (%s, 'authenticated', 'authenticated', %s, %s, %s, now())",
            [
                user_id,
                email,
                psycopg.types.json.Jsonb(metadata or {}),
                psycopg.types.json.Jsonb({"provider": "email", "providers": ["email"]}),
            ],
        )
    return user_id
