"""The migration engine behind `luneo db apply`, `status` and `verify`.

One run: take the session advisory lock, bootstrap the ledger, install the Supabase stand-in
where `auth` is missing, apply pending versioned files (each in its own transaction, unless it
cannot run in one), re-apply changed repeatable files (functions, then declarative policies),
and record a catalog fingerprint so that `verify` can detect changes made outside migrations.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from luneo.core import db
from luneo.core.errors import (
    ChecksumMismatch,
    LockTimeout,
    MigrationFailed,
    NonTransactionalMix,
    OutOfOrder,
    UsageError,
)
from luneo.core.settings import Settings
from luneo.core.sqlfiles import Project, SqlFile, Statement, cannot_run_in_transaction, policy_tables

LOCK_KEY = int.from_bytes(b"luneo-db", "big") >> 1
"""Session advisory lock key shared by every `luneo db` command that writes."""

SUPABASE_SCHEMAS = [
    "supabase_migrations",
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "net",
    "supabase_functions",
    "cron",
    "pgbouncer",
    "_analytics",
    "pgtle",
    "supabase_admin",
]
"""Schemas the platform owns: never fingerprinted, never dropped on a real Supabase project."""

Notify = Callable[[str], None]


def quiet(_: str) -> None:
    """The default `Notify`: say nothing."""


def application_name(command: str) -> str:
    """Shown in pg_stat_activity, so a waiting run can say who holds the lock."""
    return f"luneo {command} ({os.environ.get('USER', 'user')}@{socket.gethostname()} pid {os.getpid()})"


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStatus:
    path: str
    kind: str
    state: str
    """applied | pending | changed | out-of-order | missing-file"""
    version: str | None = None
    checksum: str | None = None
    applied_checksum: str | None = None


@dataclass(frozen=True)
class AppliedFile:
    path: str
    kind: str
    duration_ms: int
    statements: int
    transactional: bool = True
    dropped_policies: tuple[str, ...] = ()


@dataclass
class ApplyReport:
    dry_run: bool
    compat_installed: bool = False
    applied: list[AppliedFile] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)
    skipped_in_dry_run: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "compat_installed": self.compat_installed,
            "applied": [vars(a) | {"dropped_policies": list(a.dropped_policies)} for a in self.applied],
            "held_back": self.held_back,
            "skipped_in_dry_run": self.skipped_in_dry_run,
            "warnings": self.warnings,
            "drift_before_apply": self.drift,
        }


# --- locking -------------------------------------------------------------------------------


@contextmanager
def migration_lock(conn: db.Connection, wait_seconds: float, notify: Notify = quiet) -> Iterator[None]:
    """Hold the session advisory lock; wait with backoff, naming the holder, up to a limit."""
    deadline = time.monotonic() + wait_seconds
    delay, told = 0.05, False
    while not conn.execute(db.query("try_lock"), {"key": LOCK_KEY}).fetchone()[0]:
        holder = _lock_holder(conn)
        if time.monotonic() >= deadline:
            raise LockTimeout(f"gave up after {wait_seconds:g}s waiting for the migration lock, {holder}")
        if not told:
            notify(f"waiting for the migration lock, {holder}")
            told = True
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute(db.query("unlock"), {"key": LOCK_KEY})


def _lock_holder(conn: db.Connection) -> str:
    row = conn.execute(db.query("lock_holder"), {"key": LOCK_KEY}).fetchone()
    if row is None:
        return "held by a session that just ended"
    pid, app, user, client, since = row
    return (
        f"held by pid {pid} ({app}, user {user}, from {client}, connected since {since:%Y-%m-%d %H:%M:%S%z})"
    )


# --- the engine ----------------------------------------------------------------------------


class Migrator:
    def __init__(
        self, conn: db.Connection, project: Project, settings: Settings, notify: Notify = quiet
    ) -> None:
        self.conn = conn
        self.project = project
        self.settings = settings
        self.notify = notify

    # reading the ledger

    def _scalar(self, name: str, params: dict[str, object] | None = None) -> object:
        return self.conn.execute(db.query(name), params or {}).fetchone()[0]

    def _ledger(self) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, tuple[str, dict]]]:
        """(version -> (name, checksum), path -> (checksum, details)) as recorded."""
        if not self._scalar("ledger_exists"):
            return {}, {}
        versions = {v: (n, c) for v, n, c in self.conn.execute(db.query("applied_versions"))}
        repeatables = {p: (c, d) for p, c, d in self.conn.execute(db.query("applied_repeatables"))}
        return versions, repeatables

    def status(self) -> list[FileStatus]:
        versions, repeatables = self._ledger()
        newest = max(versions, default="")
        out: list[FileStatus] = []
        files = {f.version: f for f in self.project.versioned}
        for f in self.project.versioned:
            if f.version in versions:
                recorded = versions[f.version][1]
                state = "changed" if recorded and recorded != f.checksum else "applied"
            else:
                state = "out-of-order" if f.version < newest else "pending"
                recorded = None
            out.append(FileStatus(f.rel, "versioned", state, f.version, f.checksum, recorded))
        for version, (name, recorded) in versions.items():
            if version not in files:
                out.append(
                    FileStatus(
                        f"supabase/migrations/{version}_{name or '?'}.sql",
                        "versioned",
                        "missing-file",
                        version,
                        None,
                        recorded,
                    )
                )
        for f in self.project.repeatable:
            recorded = repeatables.get(f.rel, (None, {}))[0]
            state = "applied" if recorded == f.checksum else ("changed" if recorded else "pending")
            out.append(FileStatus(f.rel, "repeatable", state, None, f.checksum, recorded))
        return sorted(out, key=lambda s: (s.kind != "versioned", s.version or "", s.path))

    # applying

    def apply(
        self, *, dry_run: bool = False, target: str | None = None, allow_out_of_order: bool = False
    ) -> ApplyReport:
        if target is not None and target not in {f.version for f in self.project.versioned}:
            raise UsageError(f"--target {target} matches no file in supabase/migrations")
        report = ApplyReport(dry_run=dry_run)
        with migration_lock(self.conn, self.settings.lock_wait_seconds, self.notify):
            statuses = self.status()  # read after taking the lock: a concurrent run is finished
            pending = self._check(statuses, allow_out_of_order, report)
            versioned = [
                f for f in pending if f.kind == "versioned" and (target is None or f.version <= target)
            ]
            repeatable = [f for f in pending if f.kind == "repeatable"]
            if len(versioned) < len([f for f in pending if f.kind == "versioned"]):
                report.held_back = [f.rel for f in repeatable]
                repeatable = []
            for f in versioned + repeatable:
                self._check_transactional(f)
            needs_compat = not self._scalar("has_auth_schema")
            if not (versioned or repeatable or needs_compat) and self._scalar("ledger_exists"):
                return report
            with self.conn.transaction(force_rollback=True) if dry_run else nullcontext():
                report.drift = self.drift()
                self._bootstrap_ledger()
                if needs_compat:
                    self._install_compat()
                    report.compat_installed = True
                for f in versioned + repeatable:
                    report.applied.append(self._apply_file(f, dry_run, report))
                if not dry_run:
                    self._record_fingerprint()
        return report

    def _check(
        self, statuses: list[FileStatus], allow_out_of_order: bool, report: ApplyReport
    ) -> list[SqlFile]:
        by_path = {f.rel: f for f in self.project.versioned + self.project.repeatable}
        changed = [s for s in statuses if s.state == "changed" and s.kind == "versioned"]
        if changed:
            s = changed[0]
            raise ChecksumMismatch(
                f"{s.path} was changed after it was applied: checksum now {s.checksum}, "
                f"applied {s.applied_checksum}. Restore it and put the change in a new migration."
            )
        late = [s for s in statuses if s.state == "out-of-order"]
        if late and not allow_out_of_order:
            raise OutOfOrder(
                f"{late[0].path} is older than the newest applied migration; rename it with a newer "
                "timestamp (luneo db new) or pass --allow-out-of-order"
            )
        report.warnings += [
            f"{s.path} is recorded as applied but the file is missing"
            for s in statuses
            if s.state == "missing-file"
        ]
        return [by_path[s.path] for s in statuses if s.state in ("pending", "out-of-order", "changed")]

    def _check_transactional(self, f: SqlFile) -> None:
        outside = [s for s in f.statements if cannot_run_in_transaction(s)]
        if outside and len(outside) < len(f.statements) and not f.opts_out_of_transaction:
            raise NonTransactionalMix(
                f"{f.rel}:{outside[0].line}: this statement cannot run inside a transaction and the "
                "file has other statements; move it to its own file, or add '-- luneo:no-transaction' "
                "to the file's header to run every statement on its own"
            )

    def _bootstrap_ledger(self) -> None:
        if not self._scalar("ledger_exists"):
            with self.conn.transaction():
                self.conn.execute(db.query("create_ledger"))

    def _install_compat(self) -> None:
        if not self.project.compat:
            raise UsageError("the database has no auth schema and the project has no supabase/compat/ files")
        self.notify("installing the Supabase stand-in (no auth schema found)")
        with self.conn.transaction():
            for f in self.project.compat:
                started = time.monotonic()
                self._execute(f, f.statements)
                self._record(f, started, success=True)

    def _apply_file(self, f: SqlFile, dry_run: bool, report: ApplyReport) -> AppliedFile:
        transactional = not any(cannot_run_in_transaction(s) for s in f.statements)
        self.notify(f"applying {f.rel}" + ("" if transactional else " (outside a transaction)"))
        if not transactional and dry_run:
            report.skipped_in_dry_run += [
                f"{f.rel}:{s.line}" for s in f.statements if cannot_run_in_transaction(s)
            ]
        for attempt in range(self.settings.ddl_retries + 1):
            started = time.monotonic()
            try:
                if transactional or dry_run:
                    with self.conn.transaction():
                        dropped = self._run(f, started, dry_run)
                else:
                    dropped = self._run(f, started, dry_run)
                return AppliedFile(
                    f.rel,
                    f.kind,
                    int((time.monotonic() - started) * 1000),
                    len(f.statements),
                    transactional,
                    dropped,
                )
            except _StatementFailed as failed:
                if failed.error.sqlstate == "55P03" and attempt < self.settings.ddl_retries and transactional:
                    self.notify(f"{f.rel}: lock_timeout ({self.settings.ddl_lock_timeout}) hit, retrying")
                    time.sleep(0.5 * 2**attempt)
                    continue
                message = failed.describe(f)
                if not transactional:
                    message += " (this file runs outside a transaction: statements before it stay applied)"
                if not dry_run:
                    with self.conn.transaction():
                        self._record(f, started, success=False, error=message)
                raise MigrationFailed(message) from None
        raise AssertionError("unreachable")

    def _run(self, f: SqlFile, started: float, dry_run: bool) -> tuple[str, ...]:
        in_transaction = self.conn.info.transaction_status != db.TransactionStatus.IDLE
        self.conn.execute(
            "select set_config('lock_timeout', %s, %s)", [self.settings.ddl_lock_timeout, in_transaction]
        )
        statements = f.statements
        if dry_run:
            statements = [s for s in statements if not cannot_run_in_transaction(s)]
        tables: set[str] = set()
        before: set[str] = set()
        if f.rel.startswith("supabase/policies/"):
            previous = self._ledger()[1].get(f.rel, (None, {}))[1].get("tables", [])
            tables = policy_tables(f.statements) | set(previous)
            before = self._drop_policies(tables)
        self._execute(f, statements)
        if tables:
            after = {
                f"{s}.{t}: {p}"
                for s, t, p in self.conn.execute(db.query("policies_on_tables"), {"tables": sorted(tables)})
            }
            details = {"tables": sorted(policy_tables(f.statements))}
        else:
            after, details = set(), {}
        if not dry_run:
            with self.conn.transaction():
                if f.kind == "versioned":
                    self.conn.execute(
                        db.query("record_version"),
                        {"version": f.version, "name": f.name, "statements": [s.text for s in f.statements]},
                    )
                self._record(f, started, success=True, details=details)
        return tuple(sorted(before - after))

    def _drop_policies(self, tables: set[str]) -> set[str]:
        """Drop every policy on the tables a policies file owns; it declares them anew."""
        existing = self.conn.execute(db.query("policies_on_tables"), {"tables": sorted(tables)}).fetchall()
        for schema, table, policy in existing:
            self.conn.execute(
                db.sql.SQL("drop policy {} on {}.{}").format(
                    db.sql.Identifier(policy), db.sql.Identifier(schema), db.sql.Identifier(table)
                )
            )
        return {f"{s}.{t}: {p}" for s, t, p in existing}

    def _execute(self, f: SqlFile, statements: list[Statement]) -> None:
        for stmt in statements:
            try:
                self.conn.execute(stmt.text, prepare=False)
            except db.DatabaseError as exc:
                raise _StatementFailed(stmt, db.pg_error(exc)) from exc

    def _record(
        self,
        f: SqlFile,
        started: float,
        *,
        success: bool,
        details: dict | None = None,
        error: str | None = None,
    ) -> None:
        self.conn.execute(
            db.query("record_history"),
            {
                "kind": f.kind,
                "path": f.rel,
                "version": f.version,
                "checksum": f.checksum,
                "details": db.Jsonb(details or {}),
                "success": success,
                "error": error,
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )

    # drift

    def fingerprint(self) -> dict[str, str]:
        rows = self.conn.execute(db.query("fingerprint"), {"excluded": SUPABASE_SCHEMAS})
        return dict(rows.fetchall())

    def _record_fingerprint(self) -> None:
        with self.conn.transaction():
            self.conn.execute(db.query("record_fingerprint"), {"objects": db.Jsonb(self.fingerprint())})

    def drift(self) -> list[str]:
        """Objects changed outside migrations since the last apply (empty without a record)."""
        if not self._scalar("ledger_exists"):
            return []
        row = self.conn.execute(db.query("latest_fingerprint")).fetchone()
        if row is None:
            return []
        recorded: dict[str, str] = row[0]
        current = self.fingerprint()
        return sorted(
            [f"added {o}" for o in current.keys() - recorded.keys()]
            + [f"removed {o}" for o in recorded.keys() - current.keys()]
            + [f"changed {o}" for o in current.keys() & recorded.keys() if current[o] != recorded[o]]
        )

    def seed(self) -> int:
        if self.project.seed is None:
            raise UsageError("the project has no supabase/seed.sql")
        f = self.project.seed
        try:
            with self.conn.transaction():
                self._execute(f, f.statements)
        except _StatementFailed as failed:
            raise MigrationFailed(failed.describe(f)) from None
        return len(f.statements)


class _StatementFailed(Exception):
    def __init__(self, stmt: Statement, error: db.PgError) -> None:
        super().__init__(error.message)
        self.stmt = stmt
        self.error = error

    def describe(self, f: SqlFile) -> str:
        """`file:line: message (SQLSTATE)` plus detail and hint when Postgres gave them."""
        e = self.error
        line = self.stmt.line
        if e.position:
            line += self.stmt.text.count("\n", 0, e.position - 1)
        parts = [f"{f.rel}:{line}: {e.message} (SQLSTATE {e.sqlstate})"]
        parts += [f"detail: {e.detail}"] if e.detail else []
        parts += [f"hint: {e.hint}"] if e.hint else []
        if e.context and not e.position:
            parts.append(f"context: {e.context.splitlines()[0]}")
        return "; ".join(parts)
