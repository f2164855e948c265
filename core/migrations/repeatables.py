"""Repeatable files as declarations: what each one owns, and what to drop when it stops.

Functions, triggers and views: the objects the file declared at its last run (see
`declared.py`). Policies: every policy on the tables the file declares policies on, dropped
before the file runs and declared anew by it, so a policy removed from the file is gone.
Nothing another current file declares is ever dropped.
"""

from __future__ import annotations

from typing import Any

from luneo.core import db
from luneo.core.migrations import declared
from luneo.core.migrations.declared import Declared
from luneo.core.migrations.files import Project, SqlFile, policy_tables
from luneo.core.migrations.ledger import Ledger
from luneo.core.migrations.queries import QUERIES


class Repeatables:
    def __init__(self, conn: db.Connection, ledger: Ledger, project: Project) -> None:
        self.conn = conn
        self.ledger = ledger
        self.project = project

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

    def written_elsewhere(self, path: str) -> Declared:
        """What the other current files declare now, named as written (resolve it to compare)."""
        found = Declared()
        for f in self.project.repeatable:
            if f.rel != path:
                found |= declared.in_statements(f.statements)
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

    def drop_stale(self, path: str, now: Declared, elsewhere_now: Declared) -> list[str]:
        """Drop what the file declared last time and no longer does, unless another file
        declared it at its last run or declares it now (`elsewhere_now`, resolved)."""
        previous = Declared.from_details(self.recorded().get(path, ("", {}))[1]) or Declared()
        return declared.drop(self.conn, previous - now - self.elsewhere(path) - elsewhere_now)

    def remove(self, path: str, elsewhere_now: Declared) -> list[str]:
        """Drop what a deleted file declared (policies: on tables no current file owns)."""
        details = self.recorded()[path][1]
        dropped = self.drop_stale(path, Declared(), elsewhere_now)
        owned_elsewhere = set().union(
            *(
                policy_tables(f.statements)
                for f in self.project.repeatable
                if f.rel.startswith("supabase/policies/")
            )
        )
        dropped += sorted(self.drop_policies(set(details.get("tables", [])) - owned_elsewhere))
        return dropped
