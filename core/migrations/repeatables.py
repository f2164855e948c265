"""Repeatable files as declarations: what each one owns, and what to drop when it stops.

Functions, triggers and views: the objects the file declared at its last run (see
`declared.py`). Policies: every policy on the tables the file declares policies on, dropped
before the file runs and declared anew by it, so a policy removed from the file is gone.
Nothing another current file declares is ever dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from luneo.core import db
from luneo.core.errors import MigrationFailed
from luneo.core.migrations import declared
from luneo.core.migrations.declared import Declared
from luneo.core.migrations.failures import explain
from luneo.core.migrations.files import Project, SqlFile, policy_tables
from luneo.core.migrations.ledger import Ledger
from luneo.core.migrations.queries import QUERIES
from luneo.core.migrations.report import RemovedFile

log = logging.getLogger(__name__)


class Repeatables:
    def __init__(
        self, conn: db.Connection, ledger: Ledger, project: Project, session: Callable[..., None]
    ) -> None:
        self.conn = conn
        self.ledger = ledger
        self.project = project
        self.session = session
        """Starts a new connection's session; `search_path=""` makes catalog names qualified."""

    def recorded(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """path -> (checksum, details) of each repeatable file's last run, deleted ones left out."""
        return self.ledger.repeatables()

    def deleted(self) -> list[str]:
        """Files the ledger knows whose file is gone."""
        current = {f.rel for f in self.project.repeatable}
        return sorted(path for path in self.recorded() if path not in current)

    def missing(self, details: dict[str, Any]) -> list[str]:
        """Objects a file declared at its last run that do not exist any more."""
        recorded = Declared.from_details(details)
        return declared.missing(self.conn, recorded) if recorded else []

    def elsewhere(self, path: str) -> Declared:
        """What the other current files declared at their last run."""
        current = {f.rel for f in self.project.repeatable} - {path}
        found = Declared()
        for other, (_, details) in self.recorded().items():
            if other in current:
                found |= Declared.from_details(details) or Declared()
        return found

    def owned_tables(self, f: SqlFile) -> set[str]:
        """Tables whose policies the file owns: those it declares policies on now, and before."""
        if not f.rel.startswith("supabase/policies/"):
            return set()
        previous = self.recorded().get(f.rel, ("", {}))[1].get("tables", [])
        return policy_tables(f.statements) | set(previous)

    def policies_on(self, tables: set[str]) -> dict[str, str]:
        """`policy "name" on schema.table` -> the statement that drops it."""
        rows = self.conn.execute(QUERIES["policies_on_tables"], {"tables": sorted(tables)})
        return dict(rows)

    def drop_policies(self, tables: set[str]) -> set[str]:
        existing = self.policies_on(tables)
        for statement in existing.values():
            self.conn.run_sql(statement)
        return set(existing)

    def missing_again(self, scheduled: list[SqlFile]) -> list[SqlFile]:
        """`scheduled` plus the applied files whose objects went missing (a migration that drops
        and recreates a table takes its policies and triggers along), in file order."""
        recorded = self.recorded()
        again = [
            f
            for f in self.project.repeatable
            if f not in scheduled and f.rel in recorded and self.missing(recorded[f.rel][1])
        ]
        for f in again:
            log.info("%s: its objects went missing, applying it again", f.rel, extra={"action": "apply"})
        return [f for f in self.project.repeatable if f in scheduled or f in again]

    def settle(self, f: SqlFile, tables: set[str], before: set[str]) -> tuple[dict[str, Any], list[str]]:
        """Right after the file ran, in its session: what it declares (the ledger's details) and
        what was dropped because it no longer declares it (`before`: the policies on `tables`
        dropped before it ran)."""
        oids = declared.resolve(self.conn, declared.in_statements(f.statements))  # the file's search_path
        declared.qualify_names(self.conn)
        now = declared.names(self.conn, oids)
        details: dict[str, Any] = {"declares": now.as_details()}
        dropped = self._drop_stale(f.rel, now)
        if tables:
            details["tables"] = sorted(policy_tables(f.statements))
            dropped += sorted(before - set(self.policies_on(tables)))
        return details, dropped

    def remove(self, path: str, dry_run: bool) -> RemovedFile:
        """A deleted file: drop what it declared (policies: on tables no current file owns) and
        record that it is gone."""
        started = time.monotonic()
        details = self.recorded()[path][1]
        with self.conn.transaction():
            self.session(search_path="")
            dropped = self._drop_stale(path, Declared())
            policy_files = [f for f in self.project.repeatable if f.rel.startswith("supabase/policies/")]
            owned_elsewhere = set().union(*(policy_tables(f.statements) for f in policy_files))
            dropped += sorted(self.drop_policies(set(details.get("tables", [])) - owned_elsewhere))
            self.session()
            if not dry_run:
                gone = SqlFile(kind="repeatable", rel=path, text="")
                self.ledger.record(gone, started, success=True, details={"deleted": True, "dropped": dropped})
        log.info(
            "%s was deleted: dropped %s",
            path,
            ", ".join(dropped) or "nothing (what it declared is declared elsewhere)",
            extra={"action": "remove", "path": path},
        )
        return RemovedFile(path, tuple(dropped))

    def _drop_stale(self, path: str, now: Declared) -> list[str]:
        """Drop what the file declared at its last run and no longer does, unless another file
        declared it at its last run or declares it now (it moved). Ends with an empty search_path."""
        previous = Declared.from_details(self.recorded().get(path, ("", {}))[1]) or Declared()
        stale = previous - now - self.elsewhere(path)
        if stale:
            stale -= self._written_elsewhere_now(path)
        try:
            return declared.drop(self.conn, stale) if stale else []
        except db.LockNotAvailable:
            raise  # retried by the caller
        except db.QueryFailed as exc:
            raise MigrationFailed(
                f"{path}: cannot drop an object the file no longer declares: {explain(exc)}"
            ) from None

    def _written_elsewhere_now(self, path: str) -> Declared:
        """What the other current files declare now, resolved in a new session and named."""
        self.session()
        written = Declared()
        for f in self.project.repeatable:
            if f.rel != path:
                written |= declared.in_statements(f.statements)
        oids = declared.resolve(self.conn, written)
        self.session(search_path="")
        return declared.names(self.conn, oids)
