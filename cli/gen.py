"""`luneo gen types typescript`: the frontend's `Database` type, as `supabase gen types typescript`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, settings_for
from luneo.cli.output import err, line
from luneo.core import migrations, typegen

app = typer.Typer(help="Generate code from the database schema.", no_args_is_help=True)
types_app = typer.Typer(help="Generate types from the database schema.", no_args_is_help=True)
app.add_typer(types_app, name="types")


@types_app.command()
def typescript(
    schema: Annotated[
        list[str] | None,
        typer.Option(
            "--schema", "-s", help="Schema to generate types for; repeat it for several. Default: public."
        ),
    ] = None,
    postgrest_version: Annotated[
        str | None,
        typer.Option(
            "--postgrest-version",
            help="PostgREST version the API runs (e.g. 13.0.4): adds the __InternalSupabase marker "
            "supabase-js reads, as the Supabase CLI does. Default: no marker.",
        ),
    ] = None,
    db_url: DbUrl = None,
    directory: Dir = None,
) -> None:
    """Print the TypeScript types of the schemas for supabase-js (createClient<Database>)."""
    schemas = sorted(set(schema or ["public"]))
    with migrations.connection(settings_for(directory, db_url), "gen types") as conn:
        text, found = typegen.typescript(conn, schemas, postgrest_version)
    for name in schemas:
        if name not in found:
            err.print(line(("warning:", "yellow"), f" schema {name} does not exist; no types for it"))
    sys.stdout.write(text)
