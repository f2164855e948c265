"""The migration engine and the command API that the CLI and the tests call.

- `files`: the project's SQL files (discovery, checksums, parsing with pglast).
- `seeds`: which seed files load, from `[db.seed]` of supabase/config.toml.
- `engine`: `Migrator` (status, apply, seed); `ledger`, `lock`, `drift`, `reset`: its parts.
- `repair`: `luneo db repair`, marking the ledger by hand.
- `api`: `apply`, `status`, `verify`, `new`, `seed`, `reset`, `repair`, `database_url`, `require_local`
  (re-exported here).
Its named queries are the `.sql` files of this package.
"""

from luneo.core.migrations.api import (
    apply,
    connection,
    database_url,
    new,
    repair,
    require_local,
    reset,
    seed,
    status,
    verify,
)
from luneo.core.migrations.report import (
    AppliedFile,
    ApplyReport,
    FileStatus,
    RepairReport,
    ResetReport,
    SeedReport,
    VerifyReport,
)

__all__ = [
    "AppliedFile",
    "ApplyReport",
    "FileStatus",
    "RepairReport",
    "ResetReport",
    "SeedReport",
    "VerifyReport",
    "apply",
    "connection",
    "database_url",
    "new",
    "repair",
    "require_local",
    "reset",
    "seed",
    "status",
    "verify",
]
