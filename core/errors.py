"""Errors users see, each carrying the process exit code the CLI turns it into.

Exit codes live here and nowhere else: 0 ok, 1 ran and found a problem, 2 could not run.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_CANNOT_RUN = 2
EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report a process ended by SIGINT (128 + 2)."""


class LuneoError(Exception):
    """Base class: a one-line message for people, and the exit code for scripts."""

    exit_code = EXIT_CANNOT_RUN
    report: object | None = None
    """What the command had done when it failed (`apply`: the partial `ApplyReport`), if known."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(LuneoError):
    """Bad input: a missing directory, a misnamed file, a refused option."""


class ConfigError(LuneoError):
    """The configuration (environment, .env, flags) cannot be used."""


class ConnectionFailed(LuneoError):
    """The database could not be reached or the embedded server could not start."""


class LockTimeout(LuneoError):
    """Another `luneo db apply` held the migration lock for longer than we wait."""


class ProblemFound(LuneoError):
    """The command ran and found something wrong: drift, a failing file, a lint finding."""

    exit_code = EXIT_PROBLEM


class SqlSyntaxError(ProblemFound):
    """A SQL file does not parse."""


class MigrationFailed(ProblemFound):
    """A file raised an error while being applied; its transaction was rolled back."""


class ChecksumMismatch(ProblemFound):
    """An applied versioned file was edited afterwards."""


class OutOfOrder(ProblemFound):
    """A new versioned file sorts before the newest applied one."""


class TransactionControl(ProblemFound):
    """A file has `begin`, `commit`, `savepoint`... other than one whole-file wrapper."""


class NonTransactionalMix(ProblemFound):
    """A file mixes statements that cannot run in a transaction with others."""


class MissingExtra(UsageError):
    """An optional part of Luneo is not installed (`pip install 'luneo[<extra>]'`)."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs the '{extra}' extra: pip install 'luneo[{extra}]'")


class Interrupted(LuneoError):
    """Ctrl-C: the work in progress was rolled back; `report` says what stayed done."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report
