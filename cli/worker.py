"""`luneo worker run`: the workers in one long-running process (docs/workers.md)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, settings_for
from luneo.cli.output import install_logging
from luneo.core import db, migrations
from luneo.core.errors import ConfigError
from luneo.workers import registry
from luneo.workers.runner import Runner

Port = Annotated[
    int | None,
    typer.Option(
        "--port",
        min=0,
        max=65535,
        help="Port of the HTTP endpoint: /health, /metrics, the workers' routes (0: any free port). "
        "Default: $LUNEO_WORKER_PORT, else 9464.",
        show_default=False,
    ),
]

app = typer.Typer(
    help="Run the background workers (maintenance, webhooks, emails, stripe).", no_args_is_help=True
)


@app.command()
def run(
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            metavar="NAMES",
            help=f"Comma-separated workers to run. Default: all ({', '.join(registry.WORKERS)}).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            help="Jobs in flight at once, all workers together. Default: $LUNEO_WORKER_CONCURRENCY, else 16.",
            show_default=False,
        ),
    ] = None,
    port: Port = None,
    db_url: DbUrl = None,
    directory: Dir = None,
) -> None:
    """Run the workers until SIGTERM or SIGINT: in-flight work finishes (or its leases are
    released), then exit 0. Logs are logfmt lines on stderr."""
    run_workers(only, concurrency=concurrency, port=port, db_url=db_url, directory=directory)


def run_workers(
    only: str | None,
    *,
    concurrency: int | None = None,
    port: int | None = None,
    db_url: str | None = None,
    directory: str | None = None,
) -> None:
    """`luneo worker run`, and the commands that run some workers alone (`luneo stripe serve`)."""
    workers = registry.select(only)  # an unknown name is a usage error before anything connects
    settings = settings_for(directory, db_url)
    worker_settings = settings.workers
    if concurrency is not None:
        worker_settings = dataclasses.replace(worker_settings, concurrency=concurrency)
    if port is not None:
        worker_settings = dataclasses.replace(worker_settings, port=port)
    install_logging(structured=True)
    uvicorn_log = logging.getLogger("uvicorn")  # its errors only, in the same format
    uvicorn_log.handlers = list(logging.getLogger("luneo").handlers)
    uvicorn_log.setLevel(logging.WARNING)
    uvicorn_log.propagate = False
    url = migrations.database_url(settings)
    if db.uses_transaction_pooler(url):
        raise ConfigError(
            "port 6543 is Supabase's transaction pooler, which drops LISTEN and session state; "
            "workers need the direct connection (port 5432)"
        )
    runner = Runner(url, workers, worker_settings, pool=settings.pool)
    asyncio.run(runner.run())
