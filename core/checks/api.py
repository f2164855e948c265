"""`luneo db lint` as a plain function: the CLI formats its result, tests call it directly."""

from __future__ import annotations

import logging

from luneo.core.checks.findings import Finding
from luneo.core.checks.migration import lint_migration
from luneo.core.checks.style import lint_style
from luneo.core.errors import MissingExtra
from luneo.core.migrations import connection
from luneo.core.migrations.files import discover
from luneo.core.settings import Settings

log = logging.getLogger(__name__)


def lint(settings: Settings, *, database: bool = False) -> list[Finding]:
    """Safety rules over versioned migrations, sqlfluff over every SQL file of supabase/, and
    with `database` the security advisor over the database. Info advice is not returned: only
    what fails the lint (errors and warnings)."""
    project = discover(settings.project_dir)
    findings = [finding for f in project.versioned for finding in lint_migration(f.rel, f.text)]
    paths = sorted((settings.project_dir / "supabase").rglob("*.sql"))
    try:
        findings += lint_style(settings.project_dir, paths)
    except ImportError as exc:
        if exc.name != "sqlfluff":
            raise
        raise MissingExtra("luneo db lint", "checks") from None
    if database:
        from luneo.core.checks.advisor import advise

        log.info("running the security advisor against the database", extra={"action": "lint"})
        with connection(settings, "db lint") as conn:
            findings += [f for f in advise(conn) if f.severity.fails_lint]
    return findings
