"""What `luneo db reset` drops before applying again."""

from __future__ import annotations

import logging

from luneo.core import db
from luneo.core.compat import SUPABASE_SCHEMAS
from luneo.core.migrations.queries import QUERIES

log = logging.getLogger(__name__)


def drop_everything(conn: db.Connection) -> None:
    """Drop the schemas our migrations created and empty `public`, keeping its grants.

    On a real Supabase project the platform's schemas stay; where they are our stand-in,
    they go too and `apply` installs them afresh.
    """
    keep = list(SUPABASE_SCHEMAS)
    if conn.scalar(QUERIES["has_auth_schema"]) and conn.scalar(QUERIES["auth_is_compat"]):
        keep = []
    with conn.transaction():
        for schema, statement in conn.execute(QUERIES["droppable_schemas"], {"keep": keep}):
            log.info("dropping schema %s", schema, extra={"action": "reset", "schema": schema})
            conn.run_sql(statement)
        for (statement,) in conn.execute(QUERIES["drop_public_objects"]):
            conn.run_sql(statement)
