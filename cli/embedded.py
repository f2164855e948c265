"""`luneo embedded ...`: the project's private Postgres server."""

from __future__ import annotations

import typer

app = typer.Typer(help="Start, inspect and stop the embedded Postgres of the project.", no_args_is_help=True)
