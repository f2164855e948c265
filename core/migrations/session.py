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

RESET = "set session authorization default; reset role; reset all"
"""What DISCARD ALL resets of the session's identity and settings (DISCARD ALL itself cannot
run inside a transaction, and would drop prepared statements and temporary tables too)."""


def fresh_session(conn: db.Connection, **settings: str) -> None:
    """Reset the session to a new connection's state, then apply `settings` (name=value)."""
    conn.run_sql(RESET)
    values = dict(conn.execute(QUERIES["connection_defaults"]))  # lowest precedence first
    values.update(settings)
    conn.execute(QUERIES["set_settings"], {"names": list(values), "values": list(values.values())})
