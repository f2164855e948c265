"""The embedded default: a private Postgres under `<project>/.luneo/`, started on demand.

The server keeps running between commands, so a second `luneo` call only reads
`postmaster.pid` and connects; the `pgserver` wheel is imported only to start it. A pid file
left by a crash (its process gone, or replaced by another program) is cleared before starting;
a server that lost its socket is stopped and started again. `stop` is a fast shutdown (SIGINT,
as `pg_ctl stop -m fast`); as root the server runs as the `pgserver` system user, and root may
signal it.

The wheel ships no pgcrypto and no uuid-ossp: before it is used, Luneo's SQL implementations of
both (`luneo.core.extensions`) are copied into the wheel's extension directory, where it has
none of its own, so that `create extension pgcrypto` works there as on Supabase.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import logging
import os
import signal
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from luneo.core import extensions
from luneo.core.errors import ConnectionFailed, UsageError

log = logging.getLogger(__name__)

DATABASE = "postgres"
STOP_TIMEOUT = 60.0


def available() -> bool:
    """Whether the `pgserver` wheel is installed (the `embedded` extra)."""
    return importlib.util.find_spec("pgserver") is not None


def data_dir(embedded_dir: Path) -> Path:
    return embedded_dir / "pgdata"


def project_embedded_dir(project_dir: Path) -> Path:
    """`<project>/.luneo`, refused outside a Supabase project: no server is ever started in a
    directory that merely happens to be the current one."""
    if not (project_dir / "supabase").is_dir():
        raise UsageError(
            f"{project_dir} is not a Supabase project (no supabase/ directory here or above), so no "
            "embedded Postgres is started: run luneo inside a project, pass --dir, or set DATABASE_URL"
        )
    return project_dir / ".luneo"


@dataclass(frozen=True)
class Postmaster:
    """What `postmaster.pid` says about a server."""

    pid: int
    port: str
    socket_dir: str

    @property
    def socket(self) -> Path:
        return Path(self.socket_dir) / f".s.PGSQL.{self.port}"

    @property
    def url(self) -> str:
        return f"postgresql://postgres:@/{DATABASE}?host={self.socket_dir}&port={self.port}"


@dataclass(frozen=True)
class ServerStatus:
    url: str
    pid: int
    data_dir: Path
    version: str


def _pid_file(pgdata: Path) -> Postmaster | None:
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        return Postmaster(int(lines[0]), lines[3].strip(), lines[4].strip())
    except (OSError, IndexError, ValueError):
        return None


def _is_our_postgres(pid: int, pgdata: Path) -> bool:
    """Whether `pid` is a live postgres serving `pgdata` (not a process that reused the pid)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE or proc.name() != "postgres":
            return False
        cmdline = proc.cmdline()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # a postgres of another user that we may not inspect: assume it is ours
    target = pgdata.resolve()
    return not cmdline or any(arg.startswith("/") and Path(arg).resolve() == target for arg in cmdline)


def _running(pgdata: Path) -> Postmaster | None:
    """The server running on `pgdata` and reachable through its socket, if any."""
    postmaster = _pid_file(pgdata)
    if postmaster is None or not postmaster.socket_dir or not postmaster.socket.exists():
        return None
    return postmaster if _is_our_postgres(postmaster.pid, pgdata) else None


@contextmanager
def _start_lock(embedded_dir: Path) -> Iterator[None]:
    """Processes starting or stopping at once (pytest workers, two terminals) take turns."""
    embedded_dir.mkdir(parents=True, exist_ok=True)
    gitignore = embedded_dir / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    with open(embedded_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_server(embedded_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a URL to its main database."""
    pgdata = data_dir(embedded_dir)
    install_extensions()
    if running := _running(pgdata):
        return running.url
    with _start_lock(embedded_dir):
        if running := _running(pgdata):
            return running.url
        _clear_stale(pgdata)
        _start(pgdata)
    running = _running(pgdata)
    if running is None:
        raise ConnectionFailed(f"the embedded Postgres in {pgdata} did not come up (see {pgdata / 'log'})")
    return running.url


def program(name: str) -> Path:
    """A program of the `pgserver` wheel's PostgreSQL (pg_config, pgbench...), found without
    importing the wheel."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the pgserver package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name


@functools.cache
def extension_dir() -> Path:
    """The extension directory of the `pgserver` wheel's PostgreSQL (`pg_config --sharedir`)."""
    pg_config = program("pg_config")
    sharedir = subprocess.run(  # noqa: S603 - the wheel's own pg_config, no shell, no user input
        [str(pg_config), "--sharedir"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    return Path(sharedir) / "extension"


def install_extensions(directory: Path | None = None) -> list[str]:
    """Copy Luneo's SQL pgcrypto and uuid-ossp into `directory` (the embedded server's extension
    directory by default) and return the names of the files written (none when all are there).

    An extension is copied only where the directory has no control file of its name, or one of
    Luneo's (then brought up to date): a real extension is never overwritten. Each file is written
    to a temporary name and renamed, its control file last, so that processes starting at once,
    and the server reading the directory meanwhile, only ever see whole files. The files are
    readable by all: as root, the server runs as the `pgserver` system user. A directory that
    cannot be written (a read-only install) is logged as a warning; the server still starts.
    """
    context = {"action": "embedded"}
    written: list[str] = []
    try:
        directory = directory or extension_dir()
        for extension in extensions.extensions():
            control = directory / f"{extension.name}.control"
            with suppress(FileNotFoundError):
                if extensions.MARK not in control.read_bytes():
                    continue  # the server's own extension
            for name, content in [*extension.scripts.items(), (control.name, extension.control)]:
                if _write_if_changed(directory / name, content):
                    written.append(name)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning(
            "could not install Luneo's SQL pgcrypto and uuid-ossp for the embedded Postgres (%s): "
            '`create extension pgcrypto` and `create extension "uuid-ossp"` will fail there',
            exc,
            extra=context,
        )
    if written:
        log.info("installed %s into %s", ", ".join(written), directory, extra=context)
    return written


def _write_if_changed(path: Path, content: bytes) -> bool:
    with suppress(FileNotFoundError):
        if path.read_bytes() == content and path.stat().st_mode & 0o444 == 0o444:
            return False
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.chmod(temporary, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return True


def _clear_stale(pgdata: Path) -> None:
    """Remove what a crashed server left behind, so that neither pgserver nor Postgres refuses
    to start (both do when the recorded pid now belongs to another live process)."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    postmaster = _pid_file(pgdata)
    context = {"action": "embedded", "path": str(pgdata)}
    if postmaster is not None and _is_our_postgres(postmaster.pid, pgdata):
        log.warning(
            "the embedded Postgres (pid %d) lost its socket; restarting", postmaster.pid, extra=context
        )
        _stop_process(postmaster.pid, pgdata, STOP_TIMEOUT)
        return
    log.warning("removing a stale postmaster.pid from %s (its server is not running)", pgdata, extra=context)
    if postmaster is not None and postmaster.socket_dir:
        for leftover in (postmaster.socket, postmaster.socket.with_name(postmaster.socket.name + ".lock")):
            with suppress(FileNotFoundError):
                leftover.unlink()
    with suppress(FileNotFoundError):
        pid_file.unlink()


def _start(pgdata: Path) -> None:
    log.info(
        "starting the embedded Postgres in %s", pgdata, extra={"action": "embedded", "path": str(pgdata)}
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pgserver

            # cleanup_mode=None: leave the server running for the next command.
            pgserver.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # pgserver raises plain exceptions of many kinds
        raise ConnectionFailed(f"could not start the embedded Postgres in {pgdata}: {exc}") from exc


def status(embedded_dir: Path) -> ServerStatus | None:
    """The running server's URL, pid, data directory and version; None when it is not running."""
    from luneo.core import db

    pgdata = data_dir(embedded_dir)
    running = _running(pgdata)
    if running is None:
        return None
    with db.connect(running.url, application_name="luneo embedded status") as conn:
        version = str(conn.scalar("show server_version"))
    return ServerStatus(running.url, running.pid, pgdata, version)


def stop(embedded_dir: Path, timeout: float = STOP_TIMEOUT) -> int | None:
    """Fast shutdown: open transactions are rolled back, the data is flushed to disk. Returns the
    pid that was stopped, None when no server was running."""
    pgdata = data_dir(embedded_dir)
    if not pgdata.is_dir():
        return None
    with _start_lock(embedded_dir):
        postmaster = _pid_file(pgdata)
        if postmaster is None or not _is_our_postgres(postmaster.pid, pgdata):
            return None
        log.info("stopping the embedded Postgres (pid %d)", postmaster.pid, extra={"action": "embedded"})
        _stop_process(postmaster.pid, pgdata, timeout)
        return postmaster.pid


def _stop_process(pid: int, pgdata: Path, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    except PermissionError:
        raise UsageError(
            f"the embedded Postgres in {pgdata} (pid {pid}) belongs to another user: stop it as that user"
        ) from None
    deadline = time.monotonic() + timeout
    while _is_our_postgres(pid, pgdata):
        if time.monotonic() > deadline:
            raise ConnectionFailed(f"the embedded Postgres (pid {pid}) did not stop within {timeout:g}s")
        time.sleep(0.05)
