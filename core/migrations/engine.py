"""The migration engine behind `luneo db apply`, `status` and `seed`.

One run: take the session advisory lock, bootstrap the ledger, install the Supabase stand-in
where `auth` is missing, apply pending versioned files (each in its own transaction, unless it
cannot run in one), re-apply changed repeatable files (functions, then declarative policies),
and record a catalog fingerprint so that `verify` can detect changes made outside migrations.
Progress goes to this module's logger.
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext

from luneo.core import db
from luneo.core.compat import compat_files
from luneo.core.errors import (
    ChecksumMismatch,
    Interrupted,
    LuneoError,
    MigrationFailed,
    NonTransactionalMix,
    OutOfOrder,
    UsageError,
)
from luneo.core.migrations import drift as drift_
from luneo.core.migrations.files import Project, SqlFile, Statement, cannot_run_in_transaction, policy_tables
from luneo.core.migrations.ledger import Ledger
from luneo.core.migrations.lock import migration_lock
from luneo.core.migrations.queries import QUERIES
from luneo.core.migrations.report import AppliedFile, ApplyReport, FileStatus
from luneo.core.settings import MigrationSettings

log = logging.getLogger(__name__)


def _interrupted(report: ApplyReport, in_progress: SqlFile | None) -> str:
    """What Ctrl-C left: the file in progress rolled back, the files before it applied."""
    if report.dry_run:
        return "interrupted: the dry run was rolled back, nothing changed"
    done = {a.path for a in report.applied}
    parts = []
    if in_progress is not None and in_progress.rel not in done:
        if any(cannot_run_in_transaction(s) for s in in_progress.statements):
            parts.append(f"{in_progress.rel} stopped (outside a transaction: its earlier statements stay)")
        else:
            parts.append(f"{in_progress.rel} was rolled back")
    if report.applied:
        parts.append(f"{len(report.applied)} file(s) stay applied (last: {report.applied[-1].path})")
    else:
        parts.append("no file was applied")
    if report.compat_installed:
        parts.append("the Supabase stand-in stays installed")
    return "interrupted: " + "; ".join(parts)


class Migrator:
    def __init__(self, conn: db.Connection, project: Project, settings: MigrationSettings) -> None:
        self.conn = conn
        self.project = project
        self.settings = settings
        self.ledger = Ledger(conn)
        self.in_progress: SqlFile | None = None

    def status(self) -> list[FileStatus]:
        versions, repeatables = self.ledger.versions(), self.ledger.repeatables()
        newest = max(versions, default="")
        out: list[FileStatus] = []
        files = {f.version for f in self.project.versioned}
        for f in self.project.versioned:
            if f.version in versions:
                recorded = versions[f.version][1]
                state = "changed" if recorded and recorded != f.checksum else "applied"
            else:
                state = "out-of-order" if (f.version or "") < newest else "pending"
                recorded = None
            out.append(FileStatus(f.rel, "versioned", state, f.version, f.checksum, recorded))
        for version, (name, recorded) in versions.items():
            if version not in files:
                path = f"supabase/migrations/{version}_{name or '?'}.sql"
                out.append(FileStatus(path, "versioned", "missing-file", version, None, recorded))
        for f in self.project.repeatable:
            recorded = repeatables.get(f.rel, (None, {}))[0]
            state = "applied" if recorded == f.checksum else ("changed" if recorded else "pending")
            out.append(FileStatus(f.rel, "repeatable", state, None, f.checksum, recorded))
        return sorted(out, key=lambda s: (s.kind != "versioned", s.version or "", s.path))

    def drift(self) -> list[str]:
        return drift_.drift(self.conn)

    # applying

    def apply(
        self, *, dry_run: bool = False, target: str | None = None, allow_out_of_order: bool = False
    ) -> ApplyReport:
        """Apply what is pending. An error carries what was done before it as `exc.report`;
        Ctrl-C becomes `Interrupted`, saying what was rolled back and what stayed applied."""
        report = ApplyReport(dry_run=dry_run)
        try:
            return self._apply(report, dry_run, target, allow_out_of_order)
        except LuneoError as exc:
            exc.report = report
            raise
        except KeyboardInterrupt:
            raise Interrupted(_interrupted(report, self.in_progress), report) from None

    def _apply(
        self, report: ApplyReport, dry_run: bool, target: str | None, allow_out_of_order: bool
    ) -> ApplyReport:
        if target is not None and target not in {f.version for f in self.project.versioned}:
            raise UsageError(f"--target {target} matches no file in supabase/migrations")
        with migration_lock(self.conn, self.settings.lock_wait_seconds):
            statuses = self.status()  # read after taking the lock: a concurrent run is finished
            pending = self._check(statuses, allow_out_of_order, report)
            versioned = [
                f
                for f in pending
                if f.kind == "versioned" and (target is None or (f.version or "") <= target)
            ]
            repeatable = [f for f in pending if f.kind == "repeatable"]
            if len(versioned) < len([f for f in pending if f.kind == "versioned"]):
                report.held_back = [f.rel for f in repeatable]
                repeatable = []
            for f in versioned + repeatable:
                self._check_transactional(f)
            needs_compat = not self.conn.scalar(QUERIES["has_auth_schema"])
            if not (versioned or repeatable or needs_compat) and self.ledger.exists():
                return report
            with self.conn.transaction(force_rollback=True) if dry_run else nullcontext():
                report.drift = self.drift()
                if report.drift:
                    log.warning(
                        "%d object(s) changed outside migrations since the last apply: %s",
                        len(report.drift),
                        "; ".join(report.drift),
                        extra={"action": "drift"},
                    )
                self.ledger.bootstrap()
                if needs_compat:
                    self._install_compat()
                    report.compat_installed = True
                for f in versioned + repeatable:
                    report.applied.append(self._apply_file(f, dry_run, report))
                if not dry_run:
                    drift_.record_fingerprint(self.conn)
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
        for s in statuses:
            if s.state == "missing-file":
                report.warnings.append(f"{s.path} is recorded as applied but the file is missing")
                log.warning("%s", report.warnings[-1], extra={"action": "status", "path": s.path})
        return [by_path[s.path] for s in statuses if s.state in ("pending", "out-of-order", "changed")]

    def _check_transactional(self, f: SqlFile) -> None:
        outside = [s for s in f.statements if cannot_run_in_transaction(s)]
        if outside and len(outside) < len(f.statements) and not f.opts_out_of_transaction:
            raise NonTransactionalMix(
                f"{f.rel}:{outside[0].line}: this statement cannot run inside a transaction and the "
                "file has other statements; move it to its own file, or add '-- luneo:no-transaction' "
                "to the file's header to run every statement on its own"
            )

    def _install_compat(self) -> None:
        log.info("installing the Supabase stand-in (no auth schema found)", extra={"action": "compat"})
        with self.conn.transaction():
            for cf in compat_files():
                f = SqlFile(kind="compat", rel=cf.key, text=cf.text)
                started = time.monotonic()
                self._execute(f.statements)
                self.ledger.record(f, started, success=True)

    def _apply_file(self, f: SqlFile, dry_run: bool, report: ApplyReport) -> AppliedFile:
        transactional = not any(cannot_run_in_transaction(s) for s in f.statements)
        context = {"action": "apply", "path": f.rel, "kind": f.kind}
        self.in_progress = f
        log.info("applying %s%s", f.rel, "" if transactional else " (outside a transaction)", extra=context)
        if not transactional and dry_run:
            report.skipped_in_dry_run += [
                f"{f.rel}:{s.line}" for s in f.statements if cannot_run_in_transaction(s)
            ]
        for attempt in range(self.settings.ddl_retries + 1):
            started = time.monotonic()
            try:
                with self.conn.transaction() if transactional or dry_run else nullcontext():
                    dropped = self._run(f, started, dry_run)
                duration = int((time.monotonic() - started) * 1000)
                return AppliedFile(f.rel, f.kind, duration, len(f.statements), transactional, dropped)
            except _StatementFailed as failed:
                retry = isinstance(failed.cause, db.LockNotAvailable) and transactional
                if retry and attempt < self.settings.ddl_retries:
                    log.warning(
                        "%s: lock_timeout (%s) hit, retrying",
                        f.rel,
                        self.settings.ddl_lock_timeout,
                        extra=context | {"attempt": attempt + 1},
                    )
                    time.sleep(0.5 * 2**attempt)
                    continue
                message = failed.describe(f)
                if not transactional:
                    message += " (this file runs outside a transaction: statements before it stay applied)"
                if not dry_run:
                    with self.conn.transaction():
                        self.ledger.record(f, started, success=False, error=message)
                raise MigrationFailed(message) from None
        raise AssertionError("unreachable")

    def _run(self, f: SqlFile, started: float, dry_run: bool) -> tuple[str, ...]:
        self.conn.execute(
            "select set_config('lock_timeout', %s, %s)",
            [self.settings.ddl_lock_timeout, self.conn.in_transaction],
        )
        statements = f.statements
        if dry_run:
            statements = [s for s in statements if not cannot_run_in_transaction(s)]
        tables: set[str] = set()
        before: set[str] = set()
        if f.rel.startswith("supabase/policies/"):
            previous = self.ledger.repeatables().get(f.rel, (None, {}))[1].get("tables", [])
            tables = policy_tables(f.statements) | set(previous)
            before = self._drop_policies(tables)
        self._execute(statements)
        after: set[str] = set()
        details: dict[str, object] = {}
        if tables:
            after = {f"{s}.{t}: {p}" for s, t, p, _ in self._policies_on(tables)}
            details = {"tables": sorted(policy_tables(f.statements))}
        if not dry_run:
            with self.conn.transaction():
                if f.kind == "versioned":
                    self.ledger.record_version(f)
                self.ledger.record(f, started, success=True, details=details)
        return tuple(sorted(before - after))

    def _policies_on(self, tables: set[str]) -> list[db.Row]:
        return self.conn.execute(QUERIES["policies_on_tables"], {"tables": sorted(tables)})

    def _drop_policies(self, tables: set[str]) -> set[str]:
        """Drop every policy on the tables a policies file owns; it declares them anew."""
        existing = self._policies_on(tables)
        for *_, statement in existing:
            self.conn.run_sql(statement)
        return {f"{s}.{t}: {p}" for s, t, p, _ in existing}

    def _execute(self, statements: list[Statement]) -> None:
        for stmt in statements:
            try:
                self.conn.run_sql(stmt.text)
            except db.QueryFailed as exc:
                raise _StatementFailed(stmt, exc) from exc

    def seed(self) -> int:
        if self.project.seed is None:
            raise UsageError("the project has no supabase/seed.sql")
        f = self.project.seed
        try:
            with self.conn.transaction():
                self._execute(f.statements)
        except _StatementFailed as failed:
            raise MigrationFailed(failed.describe(f)) from None
        return len(f.statements)


class _StatementFailed(Exception):
    def __init__(self, stmt: Statement, cause: db.QueryFailed) -> None:
        super().__init__(cause.error.message)
        self.stmt = stmt
        self.cause = cause

    def describe(self, f: SqlFile) -> str:
        """`file:line: message (SQLSTATE)` plus detail and hint when Postgres gave them."""
        e = self.cause.error
        line = self.stmt.line
        if e.position:
            line += self.stmt.text.count("\n", 0, e.position - 1)
        parts = [f"{f.rel}:{line}: {e.message} (SQLSTATE {e.sqlstate})"]
        parts += [f"detail: {e.detail}"] if e.detail else []
        parts += [f"hint: {e.hint}"] if e.hint else []
        if e.context and not e.position:
            parts.append(f"context: {e.context.splitlines()[0]}")
        return "; ".join(parts)
