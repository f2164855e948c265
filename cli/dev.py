"""`luneo dev`: the main job on a fresh machine: schema, demo data, how to connect."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, Force, print_report, print_seeded, settings_for
from luneo.cli.output import line, out
from luneo.core import db, migrations

log = logging.getLogger("luneo.cli.dev")


def dev(
    db_url: DbUrl = None,
    directory: Dir = None,
    seed: Annotated[
        bool, typer.Option(help="Load the seed files ([db.seed] of supabase/config.toml) after applying.")
    ] = True,
    force: Force = False,
) -> None:
    """Apply the schema and load the demo seed (embedded Postgres unless a URL is set); a database
    that is not local needs --force."""
    settings = settings_for(directory, db_url)
    url = migrations.require_local(settings, "run luneo dev against", force=force)
    if settings.database_url is None:
        log.info("using the embedded Postgres in %s", settings.embedded_dir / "pgdata")
    print_report(migrations.apply(settings))
    if seed:
        print_seeded(migrations.seed(settings, force=force, required=False))
    out.print(line(f"\nconnect with:  psql '{db.redact(url)}'"))
    out.print("status:        luneo db status")
