"""The `luneo` command: Typer app, one module per command group, one error funnel."""

from __future__ import annotations

import sys

import click
import typer

from luneo.cli import db, dev
from luneo.cli.output import fail, install_logging, state
from luneo.core.errors import EXIT_CANNOT_RUN

app = typer.Typer(
    name="luneo",
    help="Luneo data layer: migrations, the embedded Postgres and the workers.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.command("dev")(dev.dev)


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    state["debug"] = debug
    install_logging(debug=debug)


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 ok, 1 a problem was found, 2 could not run."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="luneo", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_CANNOT_RUN
    except click.exceptions.Abort:
        code = 130
    except Exception as exc:  # noqa: BLE001 - the funnel: every error becomes one line and an exit code
        code = fail(exc)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
