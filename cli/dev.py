"""`luneo dev`: the main job on a fresh machine: schema, demo data, how to connect."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, print_report, print_seeded
from luneo.cli.output import line, out
from luneo.core import migrations
from luneo.core.settings import load_settings

log = logging.getLogger("luneo.cli.dev")


def dev(
    db_url: DbUrl = None,
    directory: Dir = Path("."),
    seed: Annotated[bool, typer.Option(help="Load supabase/seed.sql after applying.")] = True,
) -> None:
    """Apply the schema and load the demo seed (embedded Postgres unless a URL is set)."""
    settings = load_settings(directory, db_url)
    url = migrations.database_url(settings)
    if settings.database_url is None:
        log.info("using the embedded Postgres in %s", settings.embedded_dir / "pgdata")
    print_report(migrations.apply(settings))
    if seed:
        print_seeded(migrations.seed(settings))
    out.print(line(f"\nconnect with:  psql '{url}'"))
    out.print("status:        luneo db status")
