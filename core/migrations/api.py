"""`luneo db ...` as plain functions: the CLI formats their results, tests call them directly."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from luneo.core import db
from luneo.core.errors import MissingExtra, UsageError
from luneo.core.migrations.engine import Migrator
from luneo.core.migrations.files import VERSIONED_NAME, discover, version_key
from luneo.core.migrations.lock import application_name, migration_lock
from luneo.core.migrations.repair import repair as repair_
from luneo.core.migrations.report import (
    ApplyReport,
    FileStatus,
    RepairReport,
    ResetReport,
    SeedReport,
    VerifyReport,
)
from luneo.core.migrations.reset import drop_project
from luneo.core.migrations.seeds import SeedPlan, seed_plan
from luneo.core.settings import Settings

log = logging.getLogger(__name__)


def database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started if needed)."""
    if settings.database_url:
        return settings.database_url
    from luneo.core import embedded

    if not embedded.available():
        raise MissingExtra("no database URL is set, and the embedded Postgres", "embedded")
    return embedded.ensure_server(embedded.project_embedded_dir(settings.project_dir))


def require_local(settings: Settings, action: str, *, force: bool = False) -> str:
    """The database URL; a database that is not local is refused unless `force` (`--force`).

    `reset`, `seed` and `dev` write demo data or drop objects, `repair` rewrites the migration
    history: on a hosted database each needs `--force`.
    """
    url = database_url(settings)
    if not force and not db.is_local(url):
        raise UsageError(f"refusing to {action} {db.describe_target(url)}, which is not local; pass --force")
    return url


@contextmanager
def connection(settings: Settings, command: str) -> Iterator[db.Connection]:
    """A connection to the configured database, named after the command for pg_stat_activity."""
    url = database_url(settings)
    if db.uses_transaction_pooler(url):
        log.warning(
            "port 6543 is Supabase's transaction pooler, which breaks advisory locks and "
            "session settings; use the direct connection (port 5432)",
            extra={"action": "connect"},
        )
    with db.connect(url, application_name=application_name(command)) as conn:
        yield conn


@contextmanager
def migrator(settings: Settings, command: str) -> Iterator[Migrator]:
    project = discover(settings.project_dir)
    with connection(settings, command) as conn:
        m = Migrator(conn, project, settings.migrations)
        try:
            yield m
        finally:
            m.waits.close()


def apply(
    settings: Settings, *, dry_run: bool = False, target: str | None = None, allow_out_of_order: bool = False
) -> ApplyReport:
    """Apply what is pending; see `Migrator.apply`."""
    with migrator(settings, "db apply") as m:
        return m.apply(dry_run=dry_run, target=target, allow_out_of_order=allow_out_of_order)


def status(settings: Settings) -> list[FileStatus]:
    with migrator(settings, "db status") as m:
        return m.status()


def verify(settings: Settings) -> VerifyReport:
    """Compare files with the ledger and the catalog with its last recorded fingerprint."""
    with migrator(settings, "db verify") as m:
        files = m.status()
        drift = m.drift()
        # status found the files whose objects are missing; name those objects
        incomplete = {s.path for s in files if s.state == "objects-missing"}
        missing = m.waits.retry(
            "looking for the objects repeatable files declare", partial(m.missing_objects, incomplete)
        )
    problems = [f"{s.path}: {s.state}" for s in files if s.state != "applied"]
    problems += [f"outside migrations: {d}" for d in drift]
    problems += [f"missing: {m}" for m in missing]
    return VerifyReport(files=files, drift=drift, missing=missing, problems=problems)


def new(settings: Settings, name: str, *, now: datetime | None = None) -> Path:
    """Create `supabase/migrations/<timestamp>_<name>.sql`, sorting after every existing file."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not slug:
        raise UsageError("the migration name needs letters or digits, e.g. create_commerce_orders")
    directory = settings.project_dir / "supabase" / "migrations"
    directory.mkdir(parents=True, exist_ok=True)
    existing = [m["version"] for p in directory.glob("*.sql") if (m := VERSIONED_NAME.match(p.name))]
    path = directory / f"{_next_version(existing, now or datetime.now(UTC))}_{slug}.sql"
    path.write_text(
        f"-- {slug.replace('_', ' ')}\n"
        "--\n"
        "-- Purpose: <why this change>\n"
        "-- Touches: <schemas, tables, functions>\n"
        "-- Destructive: no\n\n",
        encoding="utf-8",
    )
    return path


def _next_version(existing: list[str], now: datetime) -> str:
    """The UTC timestamp, or else the newest version plus one, at its length: the first that
    sorts after every existing version in the Supabase CLI's order (`version_key`)."""
    stamp = now.strftime("%Y%m%d%H%M%S")
    newest = max(existing, key=version_key, default=None)
    if newest is None or version_key(stamp) > version_key(newest):
        return stamp
    bumped = str(int(newest) + 1).zfill(len(newest))
    if len(bumped) > len(newest):
        raise UsageError(
            f"no version sorts after {newest} (the Supabase CLI orders files by name); "
            "name the new file by hand"
        )
    return bumped


def seed(settings: Settings, *, force: bool = False, required: bool = True) -> SeedReport:
    """Load the seed files (`[db.seed] sql_paths` of supabase/config.toml, else supabase/seed.sql)
    in order, in one transaction; the files themselves are written to be re-runnable.

    With `[db.seed] enabled = false` nothing is loaded (`report.disabled`). With no seed file
    at all, `required` (`luneo db seed`) makes it an error; `dev` passes False and loads nothing.
    A database that is not local is refused unless `force`."""
    require_local(settings, "load the seed into", force=force)
    plan = seed_plan(settings.project_dir)
    if plan.enabled and not plan.files and required:
        raise UsageError(_no_seed_files(plan))
    with migrator(settings, "db seed") as m:
        return _load_seed(m, plan)


def _no_seed_files(plan: SeedPlan) -> str:
    if plan.configured:
        return "no seed file to load: [db.seed] sql_paths in supabase/config.toml matches no file"
    return "no seed file to load: the project has no supabase/seed.sql (nor [db.seed] sql_paths)"


def _load_seed(m: Migrator, plan: SeedPlan) -> SeedReport:
    if not plan.enabled:
        log.warning(
            "skipping the seed: [db.seed] enabled = false in supabase/config.toml", extra={"action": "seed"}
        )
        return SeedReport(warnings=list(plan.warnings), disabled=True)
    return SeedReport(files=m.seed(plan.files), warnings=list(plan.warnings))


def reset(settings: Settings, *, force: bool = False, seed: bool = True) -> ResetReport:
    """Drop what the project made and clear the ledger (`reset.drop_project`), apply everything
    again, then load the seed files (if any, and unless `seed` is false or supabase/config.toml
    says `[db.seed] enabled = false`), as `supabase db reset`.
    A database that is not local is refused unless `force`."""
    target = db.describe_target(require_local(settings, "reset", force=force))
    plan = seed_plan(settings.project_dir) if seed else None  # a bad seed config fails before the reset
    with migrator(settings, "db reset") as m:
        log.warning(
            "resetting %s: dropping what the project made, then applying it again",
            target,
            extra={"action": "reset", "target": target},
        )
        with migration_lock(m.conn, settings.migrations.lock_wait_seconds):
            dropped = m.waits.retry("dropping what the project made", lambda: drop_project(m.conn, m.project))
        report = ResetReport(target, dropped, m.apply())
        if plan is not None:
            report.seed = _load_seed(m, plan)
    return report


def repair(
    settings: Settings, action: str, subject: str, *, note: str | None = None, confirmed: bool = False
) -> RepairReport:
    """Mark a version applied or reverted, accept an applied file's new checksum, or forget a
    deleted repeatable file (`action`: see `repair.ACTIONS`), recording who and why (`note`) in
    the history; runs no file. A database that is not local is refused unless `confirmed`."""
    target = db.describe_target(require_local(settings, "repair the migration history of", force=confirmed))
    with migrator(settings, "db repair") as m:
        return repair_(m, action, subject, note=note, target=target)
