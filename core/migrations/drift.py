"""Catalog fingerprints: objects changed outside migrations since the last apply."""

from __future__ import annotations

from luneo.core import db
from luneo.core.compat import SUPABASE_SCHEMAS
from luneo.core.migrations.ledger import Ledger
from luneo.core.migrations.queries import QUERIES


def fingerprint(conn: db.Connection) -> dict[str, str]:
    """object -> md5 of its definition, for every object of the schemas Luneo owns."""
    return dict(conn.execute(QUERIES["fingerprint"], {"excluded": list(SUPABASE_SCHEMAS)}))


def record_fingerprint(conn: db.Connection) -> None:
    with conn.transaction():
        conn.execute(QUERIES["record_fingerprint"], {"objects": fingerprint(conn)})


def drift(conn: db.Connection) -> list[str]:
    """`added|removed|changed <object>` since the last recorded fingerprint (none without one)."""
    if not Ledger(conn).exists():
        return []
    row = conn.one(QUERIES["latest_fingerprint"])
    if row is None:
        return []
    recorded: dict[str, str] = row[0]
    current = fingerprint(conn)
    return sorted(
        [f"added {o}" for o in current.keys() - recorded.keys()]
        + [f"removed {o}" for o in recorded.keys() - current.keys()]
        + [f"changed {o}" for o in current.keys() & recorded.keys() if current[o] != recorded[o]]
    )
