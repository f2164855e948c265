"""The named queries of the migration engine (the `.sql` files of this package)."""

from luneo.core.db import Queries

QUERIES = Queries.load("luneo.core.migrations")
