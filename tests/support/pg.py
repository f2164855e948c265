"""Databases for tests: a real Postgres server, a template built once, a clone per test,
and the one superuser helper for setup and inspection."""

from __future__ import annotations

import atexit
import os
import sys
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any, Self

import psycopg
from psycopg import sql
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb

from luneo.core import embedded
from luneo.core.db import database_name, with_database

REPO = Path(__file__).resolve().parents[2]
TEST_SERVER = REPO / ".luneo" / "test"
"""Where the embedded test server lives (`python -m tests.support.pg stop` stops it)."""


def server_url() -> str:
    """`LUNEO_TEST_DATABASE_URL`, a testcontainers Supabase image on request, else embedded."""
    if url := os.environ.get("LUNEO_TEST_DATABASE_URL"):
        return url
    if os.environ.get("LUNEO_TEST_BACKEND") == "testcontainers":
        return _container_url()
    return embedded.ensure_server(TEST_SERVER)


def _container_url() -> str:
    """Opt-in: the real `supabase/postgres` image, where a Docker engine exists."""
    from testcontainers.postgres import PostgresContainer

    image = os.environ.get("LUNEO_TEST_SUPABASE_IMAGE", "supabase/postgres:15.8.1.085")
    container = PostgresContainer(image, username="postgres", password="postgres", dbname="postgres")
    container.start()
    atexit.register(container.stop)
    host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
    return f"postgresql://postgres:postgres@{host}:{port}/postgres"


class Superuser:
    """SQL as the database owner, bypassing RLS: setup and inspection only, never to assert
    what the API allows. One autocommit connection, opened on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection[Any] | None = None

    def _run(self, query: str | sql.Composable, params: Any, row_factory: Any) -> list[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True)
        with self._conn.cursor(row_factory=row_factory) as cur:
            cur.execute(query, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def __call__(self, query: str | sql.Composable, params: Any = None) -> list[dict[str, Any]]:
        """The rows as dicts (empty for a statement that returns none)."""
        return self._run(query, params, dict_row)

    def tuples(self, query: str | sql.Composable, params: Any = None) -> list[tuple[Any, ...]]:
        return self._run(query, params, tuple_row)

    def scalar(self, query: str | sql.Composable, params: Any = None) -> Any:
        rows = self.tuples(query, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def superuser(url: str, query: str | sql.Composable, params: Any = None) -> list[dict[str, Any]]:
    """One superuser statement on a connection of its own."""
    with Superuser(url) as su:
        return su(query, params)


class Databases:
    """Creates databases on the test server and drops them again."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.created: list[str] = []

    def create(self, template: str | None = None, name: str | None = None) -> str:
        name = name or f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        query = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} template {}").format(query, sql.Identifier(template))
        with Superuser(self.url) as su:
            su(query)
            if template:  # `create database ... template` copies neither `alter database ... set`
                # nor `alter role ... in database ... set` (authenticator's pgrst.db_pre_request)
                settings = su.tuples(
                    "select r.rolname, unnest(s.setconfig) from pg_db_role_setting as s"
                    " join pg_database as d on d.oid = s.setdatabase"
                    " left join pg_roles as r on r.oid = s.setrole where d.datname = %s",
                    [template],
                )
                for role, setting in settings:
                    key, value = setting.split("=", 1)
                    items = [  # list settings keep their items: "$user", 'public', 'extensions'
                        sql.SQL(item) if item.startswith('"') else sql.Literal(item)
                        for item in value.split(", ")
                    ]
                    target = (
                        sql.SQL("database {}").format(sql.Identifier(name))
                        if role is None
                        else sql.SQL("role {} in database {}").format(
                            sql.Identifier(role), sql.Identifier(name)
                        )
                    )
                    su(
                        sql.SQL("alter {} set {} = {}").format(
                            target, sql.Identifier(key), sql.SQL(", ").join(items)
                        )
                    )
        self.created.append(name)
        return with_database(self.url, name)

    def drop(self, name: str) -> None:
        superuser(self.url, sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        with suppress(ValueError):
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(name)


def dbname(url: str) -> str:
    return database_name(url)


def create_user(
    url: str, email: str, metadata: dict | None = None, *, user_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Insert a user into auth.users as the Supabase Auth server would (superuser connection)."""
    user_id = user_id or uuid.uuid4()
    superuser(
        url,
        "insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data,"
        " email_confirmed_at) values (%s, 'authenticated', 'authenticated', %s, %s, %s, now())",
        [user_id, email, Jsonb(metadata or {}), Jsonb({"provider": "email", "providers": ["email"]})],
    )
    return user_id


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m tests.support.pg stop")
    pid = embedded.stop(TEST_SERVER)
    print("not running" if pid is None else f"stopped the test server (pid {pid})")
