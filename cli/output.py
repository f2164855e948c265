"""Consoles and the one error funnel shared by every command."""

from __future__ import annotations

import json
import sys
import traceback

from rich.console import Console

from luneo.core.errors import EXIT_CANNOT_RUN, EXIT_PROBLEM, LuneoError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

state = {"debug": False}


def notify(message: str) -> None:
    """Progress for people, on stderr so that stdout stays clean for data."""
    style = "yellow" if message.startswith(("warning", "waiting")) else "dim"
    err.print(f"[{style}]{message}[/]", markup=True, highlight=False)


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(exc: BaseException) -> int:
    """Print one red line (the traceback too with --debug) and return the exit code."""
    if state["debug"]:
        err.print("".join(traceback.format_exception(exc)), markup=False)
    if isinstance(exc, LuneoError):
        code, message = exc.exit_code, exc.message
    else:
        code, message = EXIT_CANNOT_RUN, f"internal error: {type(exc).__name__}: {exc}"
        if not state["debug"]:
            message += " (run with --debug for the traceback)"
    err.print(f"error: {message}", style="bold red", markup=False)
    return code


__all__ = ["EXIT_PROBLEM", "err", "fail", "notify", "out", "print_json", "state"]
