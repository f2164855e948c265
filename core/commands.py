"""`luneo db ...` as plain functions: the CLI formats their results, tests call them directly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from luneo.core import db, embedded
from luneo.core.errors import UsageError
from luneo.core.migrate import (
    SUPABASE_SCHEMAS,
    ApplyReport,
    FileStatus,
    Migrator,
    Notify,
    application_name,
    migration_lock,
    quiet,
)
from luneo.core.settings import Settings
from luneo.core.sqlfiles import VERSIONED_NAME, discover


def database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started if needed)."""
    return settings.database_url or embedded.ensure_server(settings.embedded_dir)


@contextmanager
def migrator(settings: Settings, command: str, notify: Notify = quiet) -> Iterator[Migrator]:
    project = discover(settings.project_dir)
    url = database_url(settings)
    if db.uses_transaction_pooler(url):
        notify(
            "warning: port 6543 is Supabase's transaction pooler, which breaks advisory locks and "
            "session settings; use the direct connection (port 5432)"
        )
    with db.connect(url, application_name=application_name(command)) as conn:
        yield Migrator(conn, project, settings, notify)


def apply(
    settings: Settings,
    *,
    dry_run: bool = False,
    target: str | None = None,
    allow_out_of_order: bool = False,
    notify: Notify = quiet,
) -> ApplyReport:
    """Apply what is pending; see `Migrator.apply`."""
    with migrator(settings, "db apply", notify) as m:
        return m.apply(dry_run=dry_run, target=target, allow_out_of_order=allow_out_of_order)


def status(settings: Settings) -> list[FileStatus]:
    with migrator(settings, "db status") as m:
        return m.status()


@dataclass
class VerifyReport:
    files: list[FileStatus]
    drift: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": self.problems, "drift": self.drift}


def verify(settings: Settings) -> VerifyReport:
    """Compare files with the ledger and the catalog with its last recorded fingerprint."""
    with migrator(settings, "db verify") as m:
        files = m.status()
        drift = m.drift()
    problems = [f"{s.path}: {s.state}" for s in files if s.state != "applied"]
    problems += [f"outside migrations: {d}" for d in drift]
    return VerifyReport(files=files, drift=drift, problems=problems)


def new(settings: Settings, name: str, *, now: datetime | None = None) -> Path:
    """Create `supabase/migrations/<timestamp>_<name>.sql`, newer than every existing file."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not slug:
        raise UsageError("the migration name needs letters or digits, e.g. create_orders")
    directory = settings.project_dir / "supabase" / "migrations"
    directory.mkdir(parents=True, exist_ok=True)
    existing = [m["version"] for p in directory.glob("*.sql") if (m := VERSIONED_NAME.match(p.name))]
    stamp = int((now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S"))
    stamp = max([stamp, *(int(v) + 1 for v in existing)])
    path = directory / f"{stamp}_{slug}.sql"
    path.write_text(
        f"-- {slug.replace('_', ' ')}\n"
        "--\n"
        "-- Purpose: <why this change>\n"
        "-- Touches: <schemas, tables, functions>\n"
        "-- Destructive: no\n\n",
        encoding="utf-8",
    )
    return path


def seed(settings: Settings) -> int:
    """Load supabase/seed.sql in one transaction; the seed itself is written to be re-runnable."""
    with migrator(settings, "db seed") as m:
        return m.seed()


def reset(settings: Settings, *, force: bool = False, notify: Notify = quiet) -> ApplyReport:
    """Drop everything the migrations made (and the stand-in, if any), then apply again."""
    url = database_url(settings)
    if not db.is_local(url) and not force:
        raise UsageError(f"refusing to reset {db.describe_target(url)}, which is not local; pass --force")
    with migrator(settings, "db reset", notify) as m:
        with migration_lock(m.conn, settings.lock_wait_seconds, notify):
            drop_everything(m.conn, notify)
        return m.apply()


def drop_everything(conn: db.Connection, notify: Notify = quiet) -> None:
    """Drop the schemas our migrations created and empty `public`, keeping its grants.

    On a real Supabase project the platform's schemas stay; where they are our stand-in,
    they go too and `apply` installs them afresh.
    """
    keep = list(SUPABASE_SCHEMAS)
    if (
        conn.execute(db.query("has_auth_schema")).fetchone()[0]
        and conn.execute(db.query("auth_is_compat")).fetchone()[0]
    ):
        keep = []
    with conn.transaction():
        schemas = [r[0] for r in conn.execute(db.query("droppable_schemas"), {"keep": keep})]
        for schema in schemas:
            notify(f"dropping schema {schema}")
            conn.execute(db.sql.SQL("drop schema {} cascade").format(db.sql.Identifier(schema)))
        for (statement,) in conn.execute(db.query("drop_public_objects")).fetchall():
            conn.execute(statement)


def lint(settings: Settings, *, database: bool = False) -> list:
    """Safety rules over versioned migrations, sqlfluff over every SQL file of supabase/, and
    with `database` the security advisor over the database (its ERROR and WARN advice)."""
    from luneo.core import lint as linter

    project = discover(settings.project_dir)
    findings = [finding for f in project.versioned for finding in linter.lint_migration(f.rel, f.text)]
    paths = sorted((settings.project_dir / "supabase").rglob("*.sql"))
    findings += linter.lint_style(settings.project_dir, paths)
    if database:
        from luneo.core.advisor import advise

        with migrator(settings, "db lint") as m:
            advice = advise(m.conn)
        severity = {"ERROR": "error", "WARN": "warning"}
        findings += [
            linter.Finding(a.object, 0, f"advisor:{a.rule}", severity[a.level], a.detail)
            for a in advice
            if a.level in severity
        ]
    return findings
