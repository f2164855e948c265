"""Types for the frontend, generated from the catalog: `luneo gen types typescript`.

- `catalog`: what the generator reads (the named queries of catalog.sql), through `luneo.core.db`.
- `typescript`: the `Database` type of supabase-js, in the shape of `supabase gen types typescript`.
- `views`: the foreign keys views expose, from their rewrite rules (as PostgREST reads them).
- `render`: TypeScript type expressions, laid out as prettier lays out the Supabase generator's.
"""

from __future__ import annotations

from luneo.core import db
from luneo.core.typegen.catalog import Catalog, read
from luneo.core.typegen.typescript import generate


def typescript(
    conn: db.Connection, schemas: list[str], postgrest_version: str | None = None
) -> tuple[str, list[str]]:
    """The TypeScript types of `schemas`, read through `conn`, and which of them exist;
    `postgrest_version` adds the `__InternalSupabase` marker supabase-js reads."""
    catalog = read(conn, schemas)
    return generate(catalog, postgrest_version), catalog.schemas


__all__ = ["Catalog", "generate", "read", "typescript"]
