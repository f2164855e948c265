"""`luneo db repair`: set the ledger straight by hand, as `supabase migration repair` and
Flyway's `repair` do, without running any file.

- `applied VERSION`: record a versioned file as applied (its `schema_migrations` row, as `apply`
  writes it, and its checksum in the history).
- `reverted VERSION`: record it as not applied (its `schema_migrations` row deleted); the next
  `apply` runs it again. Checksums recorded before the revert no longer count.
- `accept-checksum VERSION`: accept a reviewed edit of an applied file: its new checksum is
  recorded, so `apply` stops refusing it.
- `forget PATH`: forget a deleted repeatable file without dropping what it declared.

Each repair runs under the migration lock, in one transaction, and adds one successful row to
`luneo_history` (its kind: `versioned` or `repeatable`) whose details say which repair, who ran
it (`by`: the OS user@host; `applied_by` is the database role) and why (`note`).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from luneo.core.errors import UsageError
from luneo.core.migrations.engine import Migrator
from luneo.core.migrations.files import SqlFile
from luneo.core.migrations.lock import migration_lock, os_user
from luneo.core.migrations.report import FileStatus, RepairReport

log = logging.getLogger(__name__)

ACTIONS = ("applied", "reverted", "accept-checksum", "forget")

_EMPTY = hashlib.sha256(b"").hexdigest()
"""The checksum of a file with no text: a reverted version whose file and checksum are unknown."""


def repair(m: Migrator, action: str, subject: str, *, note: str | None, target: str) -> RepairReport:
    """Mark `subject` (a version, or for `forget` a repeatable file's path) and record why."""
    if action not in ACTIONS:
        raise UsageError(f"unknown repair {action!r}; one of {', '.join(ACTIONS)}")
    with migration_lock(m.conn, m.settings.lock_wait_seconds):
        statuses = m.status()  # read after taking the lock: a concurrent run is finished
        details: dict[str, Any] = {"repair": action, "note": note, "by": os_user()}
        if action == "forget":
            s, f = _deleted_repeatable(m, statuses, subject), None
            checksum = s.applied_checksum or _EMPTY
            details |= {"deleted": True, "dropped": []}
            report = RepairReport(action, s.path, target, checksum, details)
        else:
            s, f = _versioned(m, statuses, subject, action)
            if action == "applied":
                checksum = f.checksum
            elif action == "reverted":
                checksum = f.checksum if f else s.applied_checksum or _EMPTY
                details |= {"previous": s.applied_checksum}
            else:
                checksum = f.checksum
                details |= {"previous": s.applied_checksum}
            report = RepairReport(action, s.path, target, checksum, details, subject)
        m.waits.retry(f"{report.path}: recording the repair", lambda: _record(m, report, f))
    log.info(
        "%s: repair %s recorded in supabase_migrations.luneo_history",
        report.path,
        action,
        extra={"action": "repair", "path": report.path, "repair": action},
    )
    return report


def _versioned(
    m: Migrator, statuses: list[FileStatus], version: str, action: str
) -> tuple[FileStatus, SqlFile | None]:
    """The version's status and file (None: missing), refused when the repair does not fit."""
    found = [s for s in statuses if s.kind == "versioned" and s.version == version]
    f = next((f for f in m.project.versioned if f.version == version), None)
    if not found:
        raise UsageError(f"version {version} matches no file in supabase/migrations and no applied version")
    s = found[0]
    applied = s.state in ("applied", "changed", "missing-file")
    if action == "applied":
        if f is None:
            raise UsageError(f"version {version} has no file in supabase/migrations; cannot mark it applied")
        if applied:
            raise UsageError(f"{s.path} is already applied")
    elif action == "reverted":
        if not applied:
            raise UsageError(f"{s.path} is not applied ({s.state}); nothing to revert")
    elif s.state != "changed":
        if s.state == "applied":
            raise UsageError(f"{s.path}: its checksum already matches the one applied; nothing to accept")
        raise UsageError(f"{s.path} is {s.state}; only a changed applied file has a checksum to accept")
    return s, f


def _deleted_repeatable(m: Migrator, statuses: list[FileStatus], path: str) -> FileStatus:
    rel = path.replace("\\", "/").removeprefix("./")
    for s in statuses:
        if s.kind == "repeatable" and s.path == rel:
            if s.state == "deleted":
                return s
            raise UsageError(
                f"{rel} still exists ({s.state}); only a deleted repeatable file can be forgotten"
            )
    raise UsageError(f"{rel} is not a repeatable file the ledger records")


def _record(m: Migrator, report: RepairReport, f: SqlFile | None) -> None:
    """The repair's writes, in one transaction (the ledger bootstrapped first if it is new)."""
    with m.conn.transaction():
        m.ledger.bootstrap()
        if report.action == "applied" and f is not None:
            m.ledger.record_version(f)
        elif report.action == "reverted" and report.version is not None:
            m.ledger.forget_version(report.version)
        kind = "repeatable" if report.action == "forget" else "versioned"
        m.ledger.record_repair(kind, report.path, report.version, report.checksum, report.details)
