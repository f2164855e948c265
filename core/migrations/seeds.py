"""Which seed files to load, as the Supabase CLI decides it: `supabase/config.toml`'s `[db.seed]`.

    [db.seed]
    enabled = true                                  # false: reset and dev skip the seed
    sql_paths = ["./seed.sql", "./seeds/*.sql"]     # relative to supabase/, globs allowed

The Supabase CLI's rules (`Glob.Files` in its pkg/config/config.go, `GetPendingSeeds` in
pkg/migration/seed.go): without the section or the key, `sql_paths` is `["seed.sql"]` and
`enabled` is true; relative patterns are joined to the supabase/ directory; each pattern's
matches are sorted, patterns keep their listed order, and a file matched twice loads once, at
its first place. A pattern matching nothing is a warning there. Luneo keeps that warning for
globs and for the implicit default, but refuses an explicitly listed file that does not exist
(a typo would otherwise load nothing without anyone noticing).

Nothing here touches the database; `Migrator.seed` runs the files, all in one transaction.
"""

from __future__ import annotations

import glob
import logging
import posixpath
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from luneo.core.errors import UsageError
from luneo.core.migrations.files import SqlFile, read_sql_file

log = logging.getLogger(__name__)

CONFIG = "supabase/config.toml"
DEFAULT_SQL_PATHS = ("./seed.sql",)


@dataclass(frozen=True)
class SeedPlan:
    enabled: bool
    files: list[SqlFile]
    warnings: list[str] = field(default_factory=list)
    configured: bool = False
    """True when `[db.seed] sql_paths` is set in supabase/config.toml."""


def _seed_section(root: Path) -> tuple[dict[str, object], bool]:
    """`[db.seed]` of supabase/config.toml (empty without the file or the section)."""
    path = root / CONFIG
    if not path.is_file():
        return {}, False
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{CONFIG} is not valid TOML: {exc}") from None
    db = config.get("db", {})
    seed = db.get("seed", {}) if isinstance(db, dict) else {}
    if not isinstance(seed, dict):
        raise UsageError(f"{CONFIG}: [db.seed] must be a table")
    return seed, True


def _settings(root: Path) -> tuple[bool, list[str], bool]:
    section, _ = _seed_section(root)
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise UsageError(f"{CONFIG}: [db.seed] enabled must be true or false")
    configured = "sql_paths" in section
    paths = section.get("sql_paths", list(DEFAULT_SQL_PATHS))
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise UsageError(f'{CONFIG}: [db.seed] sql_paths must be a list of paths, e.g. ["./seed.sql"]')
    return enabled, paths, configured


def _matches(supabase: Path, pattern: str) -> list[Path]:
    """The files a pattern names, sorted; relative patterns are relative to supabase/."""
    full = pattern if posixpath.isabs(pattern) else posixpath.join(supabase.as_posix(), pattern)
    full = posixpath.normpath(full)
    if glob.has_magic(pattern):
        # as Go's fs.Glob: `*` matches names starting with a dot too, and never crosses a `/`
        found = glob.glob(full, include_hidden=True)
    else:
        found = [full] if Path(full).exists() else []
    return [Path(p) for p in sorted(found) if Path(p).is_file()]


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def seed_plan(root: Path) -> SeedPlan:
    """The seed files of the project at `root`, in the order they load, read and not yet parsed.

    Raises `UsageError` for an unreadable config or a listed file (not a glob) that does not
    exist; warns (logged, and in `warnings`) for a glob that matches nothing."""
    enabled, patterns, configured = _settings(root)
    if not enabled:
        return SeedPlan(enabled=False, files=[], configured=configured)
    supabase = root / "supabase"
    files: list[SqlFile] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    for pattern in patterns:
        if not pattern:
            continue
        matches = _matches(supabase, pattern)
        if not matches:
            if configured and not glob.has_magic(pattern):
                raise UsageError(f"{CONFIG}: [db.seed] sql_paths lists {pattern}, which does not exist")
            if configured:
                warnings.append(f"{CONFIG}: [db.seed] sql_paths pattern {pattern} matches no file")
            continue
        for path in matches:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            files.append(read_sql_file("seed", path, _rel(path, root)))
    for warning in warnings:
        log.warning("%s", warning, extra={"action": "seed"})
    return SeedPlan(enabled=True, files=files, warnings=warnings, configured=configured)
