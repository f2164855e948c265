"""`luneo stripe serve|replay|status`: the Stripe receiver alone, re-applying events, the inbox's
state (docs/billing.md)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from luneo.cli.db import DbUrl, Dir, settings_for, since_time
from luneo.cli.output import out, print_rows
from luneo.cli.worker import Port, run_workers
from luneo.core import db, migrations
from luneo.core.errors import UsageError
from luneo.workers.stripe.worker import QUERIES

app = typer.Typer(help="Stripe billing: the webhook receiver, replaying events.", no_args_is_help=True)
REPLAYER = "replay"
"""The lease holder `private.replay_stripe_events` gives the events it hands to this command."""


@app.command()
def serve(
    port: Port = None,
    db_url: DbUrl = None,
    directory: Dir = None,
) -> None:
    """Receive Stripe's webhooks and apply them: the stripe worker of `luneo worker run`, alone."""
    run_workers("stripe", port=port, db_url=db_url, directory=directory)


@app.command()
def replay(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="TIME", help="Events received at or after this time, whatever their status."
        ),
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only the events that failed for good.")] = False,
    db_url: DbUrl = None,
    directory: Dir = None,
) -> None:
    """Apply stored events again, in Stripe's order, and print what each outcome was. State is
    never set back by an older event, and notifications are not sent twice."""
    if since is None and not failed:
        raise UsageError("say what to replay: --since TIME, --failed, or both")
    params = {"since": since_time(since), "failed_only": failed}
    settings = settings_for(directory, db_url)
    outcomes: dict[str, int] = {}
    started = time.monotonic()
    with db.connect(migrations.database_url(settings), application_name="luneo stripe replay") as conn:
        ids = [row[0] for row in conn.execute(QUERIES["replay"], params)]
        out.print(f"replaying {len(ids)} Stripe event{'' if len(ids) == 1 else 's'}")
        last_report = started
        for done, event_id in enumerate(ids, 1):
            outcome = conn.scalar(QUERIES["apply"], {"event_id": event_id, "worker_id": REPLAYER})
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if time.monotonic() - last_report >= 2 and done < len(ids):
                out.print(f"  {done}/{len(ids)}", style="dim")
                last_report = time.monotonic()
    summary = (
        ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())) or "nothing to do"
    )
    out.print(f"done in {time.monotonic() - started:.1f} s: {summary}")
    if outcomes.get("retry") or outcomes.get("failed"):
        raise typer.Exit(1)


@app.command()
def status(db_url: DbUrl = None, directory: Dir = None) -> None:
    """Events per status, and the latest ones failing (retried, or given up)."""
    settings = settings_for(directory, db_url)
    with db.connect(migrations.database_url(settings), application_name="luneo stripe status") as conn:
        counts = conn.execute(QUERIES["counts"])
        failures = conn.execute(QUERIES["failures"], {"max_rows": 20})
    if not counts:
        out.print("no Stripe event received yet")
        return
    print_rows(
        ("status", "events", "first received", "last received"),
        [
            (s, str(n), f"{first:%Y-%m-%d %H:%M:%S}", f"{last:%Y-%m-%d %H:%M:%S}")
            for s, n, first, last in counts
        ],
    )
    if failures:
        out.print("")
        print_rows(
            ("event", "type", "status", "attempts", "next attempt", "error"),
            [
                (e, t, s, str(a), "-" if n is None else f"{n:%Y-%m-%d %H:%M:%S}", err)
                for e, t, s, a, n, err in failures
            ],
        )
