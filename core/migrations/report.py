"""What the migration commands return: plain data that the CLI prints and tests assert on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileStatus:
    path: str
    kind: str
    state: str
    """applied | pending | changed | out-of-order | missing-file (versioned) |
    deleted | objects-missing (repeatable)"""
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
    dropped: tuple[str, ...] = ()
    """Objects the file declared before and no longer does: `function public.f(integer)`, ..."""


@dataclass(frozen=True)
class RemovedFile:
    """A repeatable file that was deleted, and the objects it declared that were dropped."""

    path: str
    dropped: tuple[str, ...] = ()


@dataclass
class ApplyReport:
    dry_run: bool
    compat_installed: bool = False
    adopted: list[str] = field(default_factory=list)
    """Versions the Supabase CLI applied: not run, their checksums recorded."""
    applied: list[AppliedFile] = field(default_factory=list)
    removed: list[RemovedFile] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)
    skipped_in_dry_run: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "compat_installed": self.compat_installed,
            "adopted": self.adopted,
            "applied": [vars(a) | {"dropped": list(a.dropped)} for a in self.applied],
            "removed": [{"path": r.path, "dropped": list(r.dropped)} for r in self.removed],
            "held_back": self.held_back,
            "skipped_in_dry_run": self.skipped_in_dry_run,
            "warnings": self.warnings,
            "drift_before_apply": self.drift,
        }


@dataclass
class SeedReport:
    """What a seed run loaded: `(path, statements)` per file, in the order they ran."""

    files: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    disabled: bool = False
    """True when supabase/config.toml says `[db.seed] enabled = false`: nothing was loaded."""

    @property
    def statements(self) -> int:
        return sum(count for _, count in self.files)


@dataclass
class ResetReport:
    target: str
    """`user@host:port/dbname` of the database reset, without the password."""
    dropped_schemas: list[str]
    apply: ApplyReport
    seed: SeedReport | None = None
    """The seed loaded after the apply; None when not asked for (`--no-seed`)."""

    @property
    def seed_statements(self) -> int | None:
        """Statements of the seed files loaded after the apply; None when nothing was loaded."""
        return self.seed.statements if self.seed is not None and self.seed.files else None


@dataclass
class VerifyReport:
    files: list[FileStatus]
    drift: list[str]
    missing: list[str] = field(default_factory=list)
    """`<file>: <object>` declared by a repeatable file and missing from the database."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": self.problems, "drift": self.drift, "missing": self.missing}


@dataclass(frozen=True)
class RepairReport:
    """One `luneo db repair`: what was marked, and the history row that records it."""

    action: str
    """applied | reverted | accept-checksum | forget"""
    path: str
    target: str
    """`user@host:port/dbname` of the database repaired, without the password."""
    checksum: str
    """The checksum the history row records."""
    details: dict[str, object]
    """The history row's details: `repair`, `note`, `by` (OS user@host), `previous`, ..."""
    version: str | None = None
