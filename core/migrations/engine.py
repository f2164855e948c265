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
from functools import partial
from typing import Any

from luneo.core import db
from luneo.core.compat import compat_files
from luneo.core.errors import Interrupted, LuneoError, MigrationFailed, NonTransactionalMix, UsageError
from luneo.core.migrations import concurrently
from luneo.core.migrations import drift as drift_
from luneo.core.migrations import status as status_
from luneo.core.migrations.failures import StatementFailed
from luneo.core.migrations.files import (
    Project,
    SqlFile,
    Statement,
    cannot_run_in_transaction,
    runs_concurrently,
    version_key,
)
from luneo.core.migrations.ledger import Ledger
from luneo.core.migrations.lock import migration_lock
from luneo.core.migrations.queries import QUERIES
from luneo.core.migrations.repeatables import Repeatables
from luneo.core.migrations.report import AppliedFile, ApplyReport, FileStatus
from luneo.core.migrations.session import fresh_session
from luneo.core.migrations.waits import LockWaits
from luneo.core.settings import MigrationSettings

log = logging.getLogger(__name__)

_FIRST_LINE = Statement(text="", line=1, node=None)


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
        self.repeatables = Repeatables(conn, self.ledger, project, session=self._fresh_session)
        self.waits = LockWaits(conn, settings)  # the whole session under the DDL lock timeout
        self.in_progress: SqlFile | None = None

    def status(self) -> list[FileStatus]:
        return self.waits.retry(
            "reading the migration ledger",
            lambda: status_.file_statuses(self.project, self.ledger, self.repeatables),
        )

    def drift(self) -> list[str]:
        return self.waits.retry("comparing the catalog with its fingerprint", lambda: drift_.drift(self.conn))

    def missing_objects(self, paths: set[str]) -> list[str]:
        """`<file>: <object>` for every object one of these repeatable files declared that is gone."""
        return [
            f"{path}: {name}"
            for path, (_, details) in sorted(self.repeatables.recorded().items())
            if path in paths
            for name in self.repeatables.missing(details)
        ]

    # applying

    def apply(
        self, *, dry_run: bool = False, target: str | None = None, allow_out_of_order: bool = False
    ) -> ApplyReport:
        """Apply what is pending. An error carries what was done before it as `exc.report`;
        Ctrl-C becomes `Interrupted`, saying what was rolled back and what stayed applied."""
        report = ApplyReport(dry_run=dry_run, warnings=list(self.project.warnings))
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
            pending = status_.to_run(self.project, statuses, allow_out_of_order, report)
            versioned = [
                f
                for f in pending
                if f.kind == "versioned"
                and (target is None or version_key(f.version or "") <= version_key(target))
            ]
            repeatable = [f for f in pending if f.kind == "repeatable"]
            adopt = status_.adoptable(self.project, statuses)
            report.adopted = [f.rel for f in adopt]
            if len(versioned) < len([f for f in pending if f.kind == "versioned"]):
                report.held_back = [f.rel for f in repeatable]
                repeatable = []
            for f in versioned + repeatable:
                self._check_transactional(f)
            deleted = self.repeatables.deleted() if not report.held_back else []
            needs_compat = not self.conn.scalar(QUERIES["has_auth_schema"])
            if not (versioned or repeatable or needs_compat or adopt or deleted) and self.ledger.exists():
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
                self._adopt(adopt)
                for f in versioned:
                    report.applied.append(self._apply_file(f, dry_run, report))
                if versioned and not report.held_back:
                    repeatable = self.repeatables.missing_again(repeatable)
                for f in repeatable:
                    report.applied.append(self._apply_file(f, dry_run, report))
                for path in deleted:
                    remove = partial(self.repeatables.remove, path, dry_run)
                    report.removed.append(self.waits.retry(f"{path} (deleted): dropping its objects", remove))
                if not dry_run:
                    self.waits.retry(
                        "recording the catalog fingerprint (the files are applied)",
                        lambda: drift_.record_fingerprint(self.conn),
                    )
        return report

    def _adopt(self, files: list[SqlFile]) -> None:
        if not files:
            return
        log.info(
            "adopted %d migration(s) applied by the Supabase CLI (not run again; their checksums "
            "are recorded from now on): %s",
            len(files),
            ", ".join(f.rel for f in files),
            extra={"action": "adopt"},
        )
        with self.conn.transaction():
            for f in files:
                self.ledger.adopt(f)

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
                    self._fresh_session(f.kind)
                    dropped = self._run(f, started, dry_run)
                duration = int((time.monotonic() - started) * 1000)
                return AppliedFile(f.rel, f.kind, duration, len(f.statements), transactional, dropped)
            except (StatementFailed, db.LockNotAvailable) as exc:
                # a lock timeout outside the file's statements (dropping its stale objects or
                # policies) is retried as the file, and reported at its first line
                failed = exc if isinstance(exc, StatementFailed) else StatementFailed(_FIRST_LINE, exc)
                retry = isinstance(failed.cause, db.LockNotAvailable) and transactional
                if retry and attempt < self.settings.ddl_retries:
                    self.waits.pause(f"{f.rel}:{failed.stmt.line}", attempt, started, context)
                    continue
                message = failed.describe(f)
                if isinstance(failed.cause, db.LockNotAvailable):
                    message += "; " + self.waits.gave_up(started)
                if not transactional:
                    message += " (this file runs outside a transaction: statements before it stay applied)"
                if not dry_run:
                    self._fresh_session()
                    with self.conn.transaction():
                        self.ledger.record(f, started, success=False, error=message)
                raise MigrationFailed(message) from None
        raise AssertionError("unreachable")

    def _fresh_session(self, kind: str | None = None, **extra: str) -> None:
        """A new connection's session (see `session.py`) under the DDL lock timeout.

        Repeatable files run with `check_function_bodies = off`: a function may name one
        defined further down the folder, so their order within it never matters.
        """
        settings = {"lock_timeout": self.settings.ddl_lock_timeout}
        if kind == "repeatable":
            settings["check_function_bodies"] = "off"
        fresh_session(self.conn, **settings, **extra)

    def _run(self, f: SqlFile, started: float, dry_run: bool) -> tuple[str, ...]:
        statements = f.statements
        if dry_run:
            statements = [s for s in statements if not cannot_run_in_transaction(s)]
        details: dict[str, Any] = {}
        dropped: list[str] = []
        tables = self.repeatables.owned_tables(f)
        before = self.repeatables.drop_policies(tables) if tables else set()
        self._execute(statements, f.rel)
        if f.kind == "repeatable":
            details, dropped = self.repeatables.settle(f, tables, before)
        self._fresh_session()  # the file may have switched role or search_path
        if not dry_run:
            with self.conn.transaction():
                if f.kind == "versioned":
                    self.ledger.record_version(f)
                self.ledger.record(f, started, success=True, details=details)
        return tuple(dropped)

    def _execute(self, statements: list[Statement], rel: str = "") -> None:
        for stmt in statements:
            where = f"{rel}:{stmt.line}"
            try:
                if self.conn.in_transaction:
                    self.conn.run_sql(stmt.text)
                elif runs_concurrently(stmt):  # waits for other transactions, blocking no writer
                    with self.waits.without_lock_timeout(where):
                        concurrently.run(self.conn, stmt, where)
                else:  # a statement on its own: retried alone when its lock is not granted
                    self.waits.run(where, partial(self.conn.run_sql, stmt.text))
            except db.QueryFailed as exc:
                raise StatementFailed(stmt, exc) from exc

    def seed(self, files: list[SqlFile]) -> list[tuple[str, int]]:
        """Load the seed files in order, all in one transaction: a failure rolls every file
        back and names `file:line`. Each file is parsed (and checked) before any runs."""
        for f in files:
            outside = [s for s in f.statements if cannot_run_in_transaction(s)]
            if outside:
                raise NonTransactionalMix(
                    f"{f.rel}:{outside[0].line}: this statement cannot run inside a transaction, and "
                    "the seed files all run in one"
                )
        in_progress = files[0] if files else None
        try:
            with self.conn.transaction():
                for f in files:
                    in_progress = f
                    log.info("seeding %s", f.rel, extra={"action": "seed", "path": f.rel})
                    self._execute(f.statements, f.rel)
        except StatementFailed as failed:
            assert in_progress is not None
            raise MigrationFailed(
                failed.describe(in_progress) + " (the seed was rolled back: no seed file was loaded)"
            ) from None
        except KeyboardInterrupt:
            raise Interrupted("interrupted: the seed was rolled back, no seed file was loaded") from None
        return [(f.rel, len(f.statements)) for f in files]
