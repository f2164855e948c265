"""The state of every file against the ledger, and what `apply` refuses before it runs.

Versioned: applied | pending | changed | out-of-order | missing-file. Repeatable: applied |
pending | changed | deleted | objects-missing.
"""

from __future__ import annotations

import logging

from luneo.core.errors import ChecksumMismatch, OutOfOrder
from luneo.core.migrations.files import Project, SqlFile, version_key
from luneo.core.migrations.ledger import Ledger
from luneo.core.migrations.repeatables import Repeatables
from luneo.core.migrations.report import ApplyReport, FileStatus

log = logging.getLogger(__name__)

RUNS = ("pending", "out-of-order", "changed", "objects-missing")
"""States of a file that `apply` runs."""


def file_statuses(project: Project, ledger: Ledger, repeatables: Repeatables) -> list[FileStatus]:
    versions, recorded = ledger.versions(), repeatables.recorded()
    newest = max(versions, key=version_key, default=None)
    out: list[FileStatus] = []
    for f in project.versioned:
        if f.version in versions:
            checksum = versions[f.version][1]
            state = "changed" if checksum and checksum != f.checksum else "applied"
        else:
            older = newest is not None and version_key(f.version or "") < version_key(newest)
            state = "out-of-order" if older else "pending"
            checksum = None
        out.append(FileStatus(f.rel, "versioned", state, f.version, f.checksum, checksum))
    files = {f.version for f in project.versioned}
    for version, (name, checksum) in versions.items():
        if version not in files:
            path = f"supabase/migrations/{version}_{'?' if name is None else name}.sql"
            out.append(FileStatus(path, "versioned", "missing-file", version, None, checksum))
    for f in project.repeatable:
        checksum, details = recorded.get(f.rel, (None, {}))
        state = "applied" if checksum == f.checksum else ("changed" if checksum else "pending")
        if state == "applied" and "declares" not in details:
            state = "pending"  # run by a Luneo that did not record what files declare
        elif state == "applied" and repeatables.missing(details):
            state = "objects-missing"
        out.append(FileStatus(f.rel, "repeatable", state, None, f.checksum, checksum))
    for path in repeatables.deleted():
        out.append(FileStatus(path, "repeatable", "deleted", None, None, recorded[path][0]))
    return sorted(out, key=lambda s: (s.kind != "versioned", version_key(s.version or ""), s.path))


def to_run(
    project: Project, statuses: list[FileStatus], allow_out_of_order: bool, report: ApplyReport
) -> list[SqlFile]:
    """The files `apply` runs; refuses edited applied files and (unless allowed) late ones."""
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
    by_path = {f.rel: f for f in project.versioned + project.repeatable}
    return [by_path[s.path] for s in statuses if s.state in RUNS]


def adoptable(project: Project, statuses: list[FileStatus]) -> list[SqlFile]:
    """Versions recorded as applied (by the Supabase CLI) whose checksum we never recorded."""
    by_path = {f.rel: f for f in project.versioned}
    return [
        by_path[s.path]
        for s in statuses
        if s.kind == "versioned" and s.state == "applied" and s.applied_checksum is None
    ]
