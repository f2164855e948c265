"""`luneo webhooks replay`: send dead webhook deliveries again (docs/webhooks.md#replay)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, settings_for, since_time
from luneo.cli.output import out
from luneo.core import db, migrations
from luneo.core.errors import UsageError
from luneo.workers.webhooks.worker import QUERIES

app = typer.Typer(help="Outgoing webhooks: replay dead deliveries.", no_args_is_help=True)


def _uuid(value: str | None, option: str) -> uuid.UUID | None:
    try:
        return None if value is None else uuid.UUID(value)
    except ValueError:
        raise UsageError(f"{option} must be a UUID, got {value!r}") from None


@app.command()
def replay(
    organization: Annotated[
        str | None,
        typer.Option("--organization", metavar="UUID", help="Only this organisation's deliveries."),
    ] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", metavar="UUID", help="Only this endpoint's.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="TIME", help="Only deliveries created at or after this time."),
    ] = None,
    db_url: DbUrl = None,
    directory: Dir = None,
) -> None:
    """Send the dead deliveries again (same webhook-id, a fresh retry schedule), skipping
    disabled endpoints; the running workers pick them up at once."""
    params = {
        "organization_id": _uuid(organization, "--organization"),
        "endpoint_id": _uuid(endpoint, "--endpoint"),
        "since": since_time(since),
    }
    settings = settings_for(directory, db_url)
    with db.connect(migrations.database_url(settings), application_name="luneo webhooks replay") as conn:
        replayed = conn.scalar(QUERIES["replay_dead"], params)
    out.print(f"{replayed} dead deliver{'y' if replayed == 1 else 'ies'} queued again")
