"""A clean session for every file, as a new connection would start.

A file may `set search_path`, `set role` or change any setting; none of it reaches the next
file. Between files the engine resets the session authorization, the role and every setting
(`RESET ALL`, as the Supabase CLI does), then applies the database and role settings
(`alter database ... set`) as they are now, so a setting made by an earlier file or by the
stand-in (its `search_path` with `extensions`) holds for the next file in the same run.
"""

from __future__ import annotations

from luneo.core import db
from luneo.core.migrations.queries import QUERIES


def fresh_session(conn: db.Connection, **settings: str) -> None:
    """Reset the session to a new connection's state, then apply `settings` (name=value)."""
    for name in ("reset_authorization", "reset_role", "reset_all"):
        conn.execute(QUERIES[name])
    for name, value in conn.execute(QUERIES["connection_defaults"]):
        conn.execute(QUERIES["set_setting"], {"name": name, "value": value})
    for name, value in settings.items():
        conn.execute(QUERIES["set_setting"], {"name": name, "value": value})
