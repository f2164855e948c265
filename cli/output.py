"""Consoles, the one logging handler and the one error funnel shared by every command.

Progress and diagnostics come from the core as `logging` records; `install_logging` routes the
`luneo` loggers to stderr through Rich, so stdout stays clean for data (`--json`). Nothing from
the database or a user is ever printed through Rich markup: object names are data. Passwords of
the URLs a command uses (`hide_password_of`) are replaced by `***` in every log line, error and
traceback printed here, whatever produced the text.

Long-running commands (`luneo worker run`) log structured lines instead (`structured=True`):
logfmt, one line per event, `ts=... level=... worker=... action=... <ids> msg="..."`, built from
the record's `extra` fields.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from luneo.core.db.urls import passwords
from luneo.core.errors import EXIT_CANNOT_RUN, EXIT_PROBLEM, LuneoError

# markup=False: a string printed here is never parsed for [style] tags, Table cells included
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

state = {"debug": False}
_secrets: set[str] = set()


def hide_password_of(url: str | None) -> None:
    """From now on, never print this URL's password (raw or percent-decoded) on stderr."""
    if url:
        _secrets.update(passwords(url))


def hide_secret(value: str | None) -> None:
    """From now on, never print this value (a service role key) on stderr."""
    if value:
        _secrets.add(value)


def scrubbed(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


_STYLES = {logging.DEBUG: "dim", logging.INFO: "dim", logging.WARNING: "yellow"}


_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_FIRST_FIELDS = ("worker", "action")
_BARE = re.compile(r"^[^\s\"=\\]+$")


def _logfmt_value(value: object) -> str:
    text = str(value)
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


def logfmt(record: logging.LogRecord) -> str:
    """`ts=... level=... worker=... action=... <other extra fields> msg="..."`: one line."""
    fields = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES and not k.startswith("_")}
    ordered = [k for k in _FIRST_FIELDS if k in fields] + sorted(k for k in fields if k not in _FIRST_FIELDS)
    when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
    when = when.replace("+00:00", "Z")
    parts = [f"ts={when}", f"level={record.levelname.lower()}"]
    parts += [f"{k}={_logfmt_value(fields[k])}" for k in ordered if fields[k] is not None]
    parts.append(f"msg={_logfmt_value(record.getMessage())}")
    return " ".join(parts)


class RichHandler(logging.Handler):
    """One line per record on stderr: `warning: ...` in yellow, progress dimmed, errors red.
    `structured`: logfmt lines (`logfmt`), for long-running processes and log collectors."""

    def __init__(self, console: Console = err, *, structured: bool = False) -> None:
        super().__init__()
        self.console = console
        self.structured = structured

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if self.structured:
                message = logfmt(record)
            elif record.levelno >= logging.WARNING:
                message = f"{record.levelname.lower()}: {message}"
            style = _STYLES.get(record.levelno, "bold red")
            self.console.print(Text(scrubbed(message), style=style))
            if record.exc_info and state["debug"]:
                self.console.print(Text(scrubbed("".join(traceback.format_exception(*record.exc_info)))))
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


def install_logging(*, debug: bool | None = None, structured: bool = False) -> None:
    """Route the `luneo` loggers to stderr: INFO and above, DEBUG too with `--debug` (None: as
    the global option set it). `structured`: logfmt lines (`luneo worker run`)."""
    debug = state["debug"] if debug is None else debug
    logger = logging.getLogger("luneo")
    for handler in [h for h in logger.handlers if isinstance(h, RichHandler)]:
        logger.removeHandler(handler)
    logger.addHandler(RichHandler(structured=structured))
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False


def line(*parts: str | tuple[str, str]) -> Text:
    """A line for stdout from plain strings and `(text, style)` pairs, never parsed as markup."""
    return Text.assemble(*parts)


def print_rows(headers: tuple[str, ...], rows: list[tuple[str | Text, ...]]) -> None:
    """A table on a terminal; plain, aligned columns without borders when stdout is piped, so
    that no value (a long path) is ever wrapped or folded for `grep`, `awk` or a log file."""
    if out.is_terminal:
        table = Table(*headers)
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    plain = [tuple(str(cell) for cell in row) for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in plain) for i in range(len(headers))]
    for row in plain:
        out.print(
            Text("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        )


def print_section(title: str, items: list[str], *, limit: int = 20) -> None:
    """`title (N):` and the first `limit` items, then how many more (`--json` has them all)."""
    if not items:
        return
    out.print(Text(f"{title} ({len(items)}):", style="bold"))
    for item in items[:limit]:
        out.print(Text(f"  {item}"))
    if len(items) > limit:
        out.print(Text(f"  ... and {len(items) - limit} more (--json lists them all)"))


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(exc: BaseException) -> int:
    """Print one red line (the traceback too with --debug) and return the exit code."""
    if state["debug"]:
        err.print(Text(scrubbed("".join(traceback.format_exception(exc)))))
    if isinstance(exc, LuneoError):
        code, message = exc.exit_code, exc.message
    else:
        code, message = EXIT_CANNOT_RUN, f"internal error: {type(exc).__name__}: {exc}"
        if not state["debug"]:
            message += " (run with --debug for the traceback)"
    err.print(Text(f"error: {scrubbed(message)}", style="bold red"))
    return code


__all__ = [
    "EXIT_PROBLEM",
    "err",
    "fail",
    "hide_password_of",
    "hide_secret",
    "install_logging",
    "line",
    "out",
    "print_json",
    "print_rows",
    "print_section",
    "state",
]
