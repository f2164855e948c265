"""`luneo status`: what `supabase status` tells a developer, for the project's database.

The database URL (password hidden), the migration summary (`db status` counted by state) and,
when configured, the values a frontend needs (API URL, anon key). The service role key is a
secret: only whether it is set is printed. No server is started: with no URL configured and the
embedded server stopped, it says `not running` and exits 1, as `luneo embedded status` does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import typer

from luneo.cli.db import DbUrl, Dir, Json, settings_for
from luneo.cli.output import EXIT_PROBLEM, hide_secret, line, out, print_json
from luneo.core import db, embedded, migrations
from luneo.core.errors import MissingExtra

STATES = ("applied", "pending", "changed", "out-of-order", "missing-file", "deleted", "objects-missing")
"""The states of `db status`, in the order the summary lists them."""


def _running_url(project_dir: Path) -> tuple[str | None, str]:
    """The embedded server's URL if it runs (None if not), and where its data lives."""
    if not embedded.available():
        raise MissingExtra("no database URL is set, and the embedded Postgres", "embedded")
    embedded_dir = embedded.project_embedded_dir(project_dir)
    server = embedded.status(embedded_dir)
    return (server.url if server else None), str(embedded.data_dir(embedded_dir))


def status(db_url: DbUrl = None, directory: Dir = None, json: Json = False) -> None:
    """Print the database URL (password hidden), the migration summary and the frontend's API
    URL and anon key; exit 1 when the embedded server is not running."""
    settings = settings_for(directory, db_url)
    supabase = settings.supabase
    hide_secret(supabase.service_role_key)
    if settings.database_url is not None:
        url, source, data_dir = settings.database_url, "configured", None
    else:
        url, data_dir = _running_url(settings.project_dir)
        source = "embedded"
    counts: dict[str, int] | None = None
    if url is not None:
        found = Counter(f.state for f in migrations.status(replace(settings, database_url=url)))
        counts = {state: found[state] for state in STATES if found[state]}
    shown_url = db.redact(url) if url is not None else None
    if json:
        print_json(
            {
                "db_url": shown_url,
                "source": source,
                "running": url is not None,
                "data_dir": data_dir,
                "migrations": counts,
                "api_url": supabase.api_url,
                "anon_key": supabase.anon_key,
                "service_role_key_set": supabase.service_role_key is not None,
            }
        )
    else:
        rows = [
            ("DB URL", shown_url or f"not running (embedded, data directory {data_dir})"),
            ("migrations", _summary(counts) if counts is not None else "unknown (no database)"),
        ]
        rows += [("API URL", supabase.api_url)] if supabase.api_url else []
        rows += [("anon key", supabase.anon_key)] if supabase.anon_key else []
        rows += [("service_role key", "set (not printed)")] if supabase.service_role_key else []
        width = max(len(label) for label, _ in rows) + 1
        for label, value in rows:
            out.print(line(f"{label + ':':<{width}}  {value}"))
    if url is None:
        raise typer.Exit(EXIT_PROBLEM)


def _summary(counts: dict[str, int]) -> str:
    if not counts:
        return "no migration files"
    return ", ".join(f"{n} {state}" for state, n in counts.items())
