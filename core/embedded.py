"""The embedded default: a private Postgres under `<project>/.luneo/`, started on demand.

The server keeps running between commands, so a second `luneo` call only reads
`postmaster.pid` and connects; the `pgserver` wheel is imported only to start it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import warnings
from pathlib import Path

from luneo.core.errors import ConnectionFailed

log = logging.getLogger(__name__)

DATABASE = "postgres"


def available() -> bool:
    """Whether the `pgserver` wheel is installed (the `embedded` extra)."""
    return importlib.util.find_spec("pgserver") is not None


def data_dir(embedded_dir: Path) -> Path:
    return embedded_dir / "pgdata"


def _running_url(pgdata: Path) -> str | None:
    """The URL of a server already running on `pgdata`, read from its postmaster.pid."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, socket_dir, port = int(lines[0]), lines[4].strip(), lines[3].strip()
    except (OSError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the pgserver system user when we run as root
    if not socket_dir or not (Path(socket_dir) / f".s.PGSQL.{port}").exists():
        return None
    return f"postgresql://postgres:@/{DATABASE}?host={socket_dir}&port={port}"


def ensure_server(embedded_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a URL to its main database."""
    pgdata = data_dir(embedded_dir)
    url = _running_url(pgdata)
    if url:
        return url
    embedded_dir.mkdir(parents=True, exist_ok=True)
    gitignore = embedded_dir / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    # processes starting at once (pytest workers, two terminals) take turns: the first one
    # initialises and starts the server, the others then find it running
    with open(embedded_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = _running_url(pgdata)
        if url:
            return url
        _start(pgdata)
    url = _running_url(pgdata)
    if url is None:
        raise ConnectionFailed(f"the embedded Postgres in {pgdata} did not come up")
    return url


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
