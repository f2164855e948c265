"""Types for the frontend, generated from the catalog: `luneo gen types typescript`.

- `catalog`: what the generator reads (the named queries of catalog.sql), through `luneo.core.db`.
- `typescript`: the `Database` type of supabase-js, in the shape of `supabase gen types typescript`.
- `render`: TypeScript type expressions, laid out as prettier lays out the Supabase generator's.
"""

from __future__ import annotations

from luneo.core import db
from luneo.core.typegen.catalog import Catalog, read
from luneo.core.typegen.typescript import generate


def typescript(conn: db.Connection, schemas: list[str]) -> tuple[str, list[str]]:
    """The TypeScript types of `schemas`, read through `conn`, and which of them exist."""
    catalog = read(conn, schemas)
    return generate(catalog), catalog.schemas


__all__ = ["Catalog", "generate", "read", "typescript"]
