"""`luneo dev`: the main job on a fresh machine: schema, demo data, how to connect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, print_report
from luneo.cli.output import notify, out
from luneo.core import commands
from luneo.core.settings import load_settings


def dev(
    db_url: DbUrl = None,
    directory: Dir = Path("."),
    seed: Annotated[bool, typer.Option(help="Load supabase/seed.sql after applying.")] = True,
) -> None:
    """Apply the schema and load the demo seed (embedded Postgres unless a URL is set)."""
    settings = load_settings(directory, db_url)
    url = commands.database_url(settings)
    if settings.database_url is None:
        notify(f"using the embedded Postgres in {settings.embedded_dir / 'pgdata'}")
    print_report(commands.apply(settings, notify=notify))
    if seed:
        count = commands.seed(settings)
        out.print(f"seed loaded: {count} statement(s) from supabase/seed.sql")
    out.print(f"\nconnect with:  psql '{url}'")
    out.print("status:        luneo db status")
