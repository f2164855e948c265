"""The ledger: `supabase_migrations.schema_migrations` (as the Supabase CLI writes it) and
Luneo's `luneo_history` (kind, checksum, timing, who, success) of every file applied."""

from __future__ import annotations

import time
from typing import Any

from luneo.core import db
from luneo.core.migrations.files import SqlFile
from luneo.core.migrations.queries import QUERIES


class Ledger:
    def __init__(self, conn: db.Connection) -> None:
        self.conn = conn

    def exists(self) -> bool:
        return bool(self.conn.scalar(QUERIES["ledger_exists"]))

    def bootstrap(self) -> None:
        if not self.exists():
            with self.conn.transaction():
                self.conn.execute(QUERIES["create_ledger"])

    def versions(self) -> dict[str, tuple[str | None, str | None]]:
        """version -> (name, checksum we recorded), for versions applied by us or the Supabase CLI."""
        if self.exists():
            rows = self.conn.execute(QUERIES["applied_versions"])
        elif self.conn.scalar(QUERIES["has_cli_ledger"]):
            rows = self.conn.execute(QUERIES["cli_versions"])
        else:
            return {}
        return {v: (n, c) for v, n, c in rows}

    def repeatables(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """path -> (checksum, details) of the last successful run of each repeatable file."""
        if not self.exists():
            return {}
        return {p: (c, d) for p, c, d in self.conn.execute(QUERIES["applied_repeatables"])}

    def record_version(self, f: SqlFile) -> None:
        self.conn.execute(
            QUERIES["record_version"],
            {"version": f.version, "name": f.name, "statements": [s.text for s in f.statements]},
        )

    def forget_version(self, version: str) -> None:
        """Mark a version not applied, as `supabase migration repair --status reverted` does."""
        self.conn.execute(QUERIES["forget_version"], {"version": version})

    def record_repair(
        self, kind: str, path: str, version: str | None, checksum: str, details: dict[str, Any]
    ) -> None:
        """One row of history for a repair: nothing ran; `details` say what and why."""
        self.conn.execute(
            QUERIES["record_repair"],
            {"kind": kind, "path": path, "version": version, "checksum": checksum, "details": details},
        )

    def adopt(self, f: SqlFile) -> None:
        """Record the checksum of a version the Supabase CLI applied; from now on it is checked."""
        self.record(f, time.monotonic(), success=True, details={"adopted": True})

    def record(
        self,
        f: SqlFile,
        started: float,
        *,
        success: bool,
        details: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """One row of history; `started` is the `time.monotonic()` at which the file began."""
        self.conn.execute(
            QUERIES["record_history"],
            {
                "kind": f.kind,
                "path": f.rel,
                "version": f.version,
                "checksum": f.checksum,
                "details": details or {},
                "success": success,
                "error": error,
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )
