"""`luneo embedded ...`: the project's private Postgres server (`<project>/.luneo/pgdata`)."""

from __future__ import annotations

from pathlib import Path

import typer

from luneo.cli.db import Dir, Json, settings_for
from luneo.cli.output import EXIT_PROBLEM, line, out, print_json
from luneo.core import embedded
from luneo.core.errors import MissingExtra

app = typer.Typer(help="Start, inspect and stop the embedded Postgres of the project.", no_args_is_help=True)


def _embedded_dir(directory: Path | None) -> Path:
    if not embedded.available():
        raise MissingExtra("luneo embedded", "embedded")
    return embedded.project_embedded_dir(settings_for(directory, None).project_dir)


@app.command()
def start(directory: Dir = None) -> None:
    """Start the server (or find it running) and print its URL."""
    out.print(line(embedded.ensure_server(_embedded_dir(directory))))


@app.command()
def status(directory: Dir = None, json: Json = False) -> None:
    """Print URL, pid, data directory and Postgres version; exit 1 when it is not running."""
    embedded_dir = _embedded_dir(directory)
    server = embedded.status(embedded_dir)
    if json:
        print_json({"running": False} if server is None else {"running": True} | vars(server))
    elif server is None:
        out.print(line(f"not running (data directory {embedded.data_dir(embedded_dir)})"))
    else:
        out.print(line(f"url:       {server.url}"))
        out.print(line(f"pid:       {server.pid}"))
        out.print(line(f"data dir:  {server.data_dir}"))
        out.print(line(f"version:   PostgreSQL {server.version}"))
    if server is None:
        raise typer.Exit(EXIT_PROBLEM)


@app.command()
def stop(directory: Dir = None) -> None:
    """Fast shutdown: sessions are disconnected, open transactions rolled back, data kept."""
    pid = embedded.stop(_embedded_dir(directory))
    out.print("not running" if pid is None else f"stopped (pid {pid})")
