"""The `luneo` command: Typer app, one module per command group, one error funnel.

Typer parses and reports its own usage errors (`standalone_mode`): a usage message and exit 2,
`--help`/`-h`, `--version`, shell completion. Everything a command raises comes to `fail`:
one red line, the exit code the error carries, the traceback with `--debug`.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from typing import Annotated

import typer

from luneo.cli import db, dev, emails, embedded, gen, status, stripe, webhooks, worker
from luneo.cli.output import fail, install_logging, state

app = typer.Typer(
    name="luneo",
    help="Luneo data layer: migrations, the embedded Postgres and the workers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(db.app, name="db")
app.add_typer(embedded.app, name="embedded")
app.add_typer(gen.app, name="gen")
app.add_typer(worker.app, name="worker")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(emails.app, name="emails")
app.add_typer(stripe.app, name="stripe")
app.command("dev")(dev.dev)
app.command("status")(status.status)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"luneo {version('luneo')}\n")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    state["debug"] = debug
    install_logging(debug=debug)


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 ok, 1 a problem was found, 2 could not run (usage too)."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="luneo", standalone_mode=True)
    except Exception as exc:  # noqa: BLE001 - the funnel: every error becomes one line and an exit code
        sys.exit(fail(exc))


if __name__ == "__main__":
    run()
