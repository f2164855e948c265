"""What the benchmarks share: the server, a kept seeded database, one PostgREST request, summaries.

* `server()`: the embedded server under .luneo/bench (started on demand) unless
  LUNEO_BENCH_DATABASE_URL names another;
* `arguments(doc)`: the command line of such a benchmark, `--reseed` included;
* `kept_database(...)`: a database seeded once and kept between runs; a kept one gets the
  current functions and policies (`luneo db apply`), and is seeded again when asked
  (`--reseed`) or when its migrations no longer match the files;
* `request(...)`: one request as PostgREST sends it, through the one emulation the tests use
  (tests/support/postgrest.py), timed;
* `median_ms`, `percentile_ms`: summaries of samples in seconds, in milliseconds.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg

from luneo.core import embedded, migrations
from luneo.core.db import with_database
from luneo.core.errors import LuneoError
from luneo.core.settings import load_settings
from tests.support.postgrest import Request, begin_request

REPO = Path(__file__).resolve().parents[1]


def server() -> str:
    """The server's URL: LUNEO_BENCH_DATABASE_URL, else the embedded one under .luneo/bench."""
    return os.environ.get("LUNEO_BENCH_DATABASE_URL") or embedded.ensure_server(REPO / ".luneo" / "bench")


def migrate(url: str) -> None:
    """Luneo's own apply: migrations, functions and policies."""
    migrations.apply(load_settings(REPO, url))


def arguments(doc: str) -> argparse.ArgumentParser:
    """The command line of a benchmark on a kept database: its first docstring line, `--reseed`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--reseed", action="store_true", help="seed the kept database again")
    return parser


def kept_database(server_url: str, name: str, seed: Callable[[str], None], *, reseed: bool = False) -> str:
    """The URL of database `name`, created, migrated and handed to `seed(url)` when it does not
    exist, when `reseed`, or when its migrations no longer match the files; a kept one is
    brought up to date with the current functions and policies."""
    with psycopg.connect(server_url, autocommit=True) as admin:

        def fresh() -> str:
            admin.execute(f'drop database if exists "{name}" with (force)')
            admin.execute(f'create database "{name}"')
            url = with_database(server_url, name)
            try:
                migrate(url)
                seed(url)
            except BaseException:  # never keep a half-seeded database
                admin.execute(f'drop database if exists "{name}" with (force)')
                raise
            return url

        exists = admin.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        url = with_database(server_url, name) if exists and not reseed else fresh()
        try:  # a kept database gets the current functions and policies
            migrate(url)
        except LuneoError:  # its migrations no longer match the files: start again
            url = fresh()
    return url


def request(
    conn: psycopg.Connection[Any],
    caller: Request,
    query: str,
    params: Sequence[Any] | None = None,
    *,
    method: str = "GET",
    path: str = "/",
    read_only: bool = True,
    pre_request: str | None = None,
) -> tuple[float, list[Any]]:
    """One request as PostgREST sends it on a kept autocommit connection: begin, one statement of
    settings, the pre-request function if any, the query, commit. Its wall time and its rows."""
    started = time.perf_counter()
    begin_request(conn, caller, method=method, path=path, read_only=read_only, pre_request=pre_request)
    rows = conn.execute(query, params).fetchall()
    conn.execute("commit")
    return time.perf_counter() - started, rows


def median_ms(samples: Sequence[float]) -> float:
    """The median of samples in seconds, in milliseconds."""
    return statistics.median(samples) * 1000


def percentile_ms(samples: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of samples in seconds, in milliseconds."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1] * 1000
