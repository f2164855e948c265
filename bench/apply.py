"""Whole-process wall time of `luneo db apply`: full schema on an empty database, and a no-op.

Prints JSON. The server is the embedded one (under .luneo/bench) unless
LUNEO_BENCH_DATABASE_URL names another. As a floor for the full apply, the same SQL files
are also fed to `psql --single-transaction` when psql is installed (no ledger, no checks).
Targets (issue 2): full apply under 2 s, no-op under 0.5 s including interpreter start-up.

    .venv/bin/python -m bench.apply [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bench._common import REPO, server
from luneo.core.compat import compat_files
from luneo.core.db import with_database
from luneo.core.migrations.files import discover


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server_url = server()
    luneo = [sys.executable, "-m", "luneo.cli.main", "db", "apply", "--dir", str(REPO), "--db-url"]
    project = discover(REPO)
    stand_in = compat_files()
    files = [REPO / f.rel for f in project.versioned + project.repeatable]
    full, noop, floor = [], [], []
    with psycopg.connect(server_url, autocommit=True) as admin:
        for _ in range(args.runs):
            name = f"luneo_bench_{uuid.uuid4().hex[:8]}"
            admin.execute(f'create database "{name}"')
            url = with_database(server_url, name)
            full.append(timed([*luneo, url]))
            noop.append(timed([*luneo, url]))
            admin.execute(f'drop database "{name}" with (force)')
            if shutil.which("psql"):
                admin.execute(f'create database "{name}"')
                psql = ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url]
                with tempfile.TemporaryDirectory() as tmp:  # the stand-in ships inside the package
                    compat = [Path(tmp) / c.name for c in stand_in]
                    for path, c in zip(compat, stand_in, strict=True):
                        path.write_text(c.text)
                    floor.append(timed(psql + [arg for f in compat + files for arg in ("-f", str(f))]))
                admin.execute(f'drop database "{name}" with (force)')
        version = admin.execute("show server_version").fetchone()[0]
    result = {
        "benchmark": "luneo db apply, whole process",
        "server": f"PostgreSQL {version}",
        "runs": args.runs,
        "files": {
            "compat": len(stand_in),
            "versioned": len(project.versioned),
            "repeatable": len(project.repeatable),
        },
        "full_apply": summary(full) | {"target_s": 2.0},
        "noop_apply": summary(noop) | {"target_s": 0.5},
    }
    if floor:
        result["psql_single_transaction_floor"] = summary(floor)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
