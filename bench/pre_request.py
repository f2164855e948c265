"""What the db-pre-request check costs per request: the same request with and without it.

Prints JSON. A signed-in user's JWT (with a `session_id` claim, as every Supabase access token
has) reads its own profile (`GET /profiles?id=eq.<me>`), sent the way PostgREST sends it
(`begin ... read only`, one statement of settings, the pre-request function, the query,
`commit`) on one kept connection, as PostgREST's pool does; requests are opened by the one
PostgREST emulation the tests use (tests/support/postgrest.py). Sides, alternating on that
connection so that drift hits them alike:
  * none:            no db-pre-request function;
  * check_request:   private.check_request(), the entry point PostgREST is configured with
                     (private.check_session() then private.check_api_key(), no x-api-key header);
  * check_api_key:   private.check_api_key() alone, what was configured before the session check.
private.revoked_sessions holds 100,000 revocations (a week of busy sign-outs), so the session
lookup is an index probe in a realistic table, and the caller's session is not among them.
Reported: the median of each side in milliseconds and the medians' differences per request.
The server is the embedded one (under .luneo/bench) unless LUNEO_BENCH_DATABASE_URL names
another. The seeded database is kept between runs (`--reseed` rebuilds it).

    .venv/bin/python -m bench.pre_request [--requests 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from luneo.core import embedded, migrations
from luneo.core.db import with_database
from luneo.core.errors import LuneoError
from luneo.core.settings import load_settings
from tests.support.postgrest import Request, begin_request

REPO = Path(__file__).resolve().parents[1]
DATABASE = "luneo_bench_pre_request"
REVOKED = 100_000
SIDES = {"none": None, "check_request": "private.check_request", "check_api_key": "private.check_api_key"}


def seed(admin: psycopg.Connection, server: str) -> str:
    admin.execute(f'drop database if exists "{DATABASE}" with (force)')
    admin.execute(f'create database "{DATABASE}"')
    url = with_database(server, DATABASE)
    migrations.apply(load_settings(REPO, url))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into auth.users (id, aud, role, email, raw_user_meta_data) values"
            " (%s, 'authenticated', 'authenticated', 'bench@example.com', %s)",
            [uuid.uuid4(), Jsonb({"full_name": "Bench User"})],
        )
        conn.execute(
            "insert into private.revoked_sessions (session_id, user_id, revoked_at)"
            " select gen_random_uuid(), gen_random_uuid(), now() - make_interval(secs => n)"
            " from generate_series(1, %s) as n",
            [REVOKED],
        )
        conn.execute("vacuum analyze")
    return url


def request(conn: psycopg.Connection, caller: Request, pre_request: str | None, me: str) -> float:
    """One GET as PostgREST sends it, with or without the pre-request function."""
    started = time.perf_counter()
    begin_request(conn, caller, method="GET", path="/profiles", read_only=True, pre_request=pre_request)
    rows = conn.execute("select * from public.profiles where id = %s", [me]).fetchall()
    conn.execute("commit")
    elapsed = time.perf_counter() - started
    if len(rows) != 1:
        raise SystemExit(f"expected the caller's profile, got {len(rows)} rows")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("LUNEO_BENCH_DATABASE_URL") or embedded.ensure_server(REPO / ".luneo" / "bench")
    with psycopg.connect(server, autocommit=True) as admin:
        exists = admin.execute("select 1 from pg_database where datname = %s", [DATABASE]).fetchone()
        url = with_database(server, DATABASE) if exists and not args.reseed else seed(admin, server)
        try:  # a kept database gets the current functions and policies
            migrations.apply(load_settings(REPO, url))
        except LuneoError:  # its migrations no longer match the files: start again
            url = seed(admin, server)

    with psycopg.connect(url, autocommit=True) as conn:
        (me,) = conn.execute("select id::text from auth.users where email = 'bench@example.com'").fetchone()
        server_version = conn.execute("show server_version").fetchone()[0]
        now = int(time.time())
        caller = Request(
            "authenticated",
            {
                "role": "authenticated",
                "sub": me,
                "aud": "authenticated",
                "iat": now,
                "exp": now + 3600,
                "aal": "aal1",
                "session_id": str(uuid.uuid4()),
            },
            {"user-agent": "bench", "x-forwarded-for": "203.0.113.7"},
        )
        samples: dict[str, list[float]] = {side: [] for side in SIDES}
        for _ in range(100):  # warm-up: caches, plans, plpgsql compilation
            for pre_request in SIDES.values():
                request(conn, caller, pre_request, me)
        for _ in range(args.requests):  # interleaved
            for side, pre_request in SIDES.items():
                samples[side].append(request(conn, caller, pre_request, me))
    medians = {side: statistics.median(values) * 1000 for side, values in samples.items()}
    print(
        json.dumps(
            {
                "benchmark": "pre_request_check",
                "server_version": server_version,
                "revoked_sessions": REVOKED,
                "requests_per_side": args.requests,
                **{f"{side}_ms": round(value, 4) for side, value in medians.items()},
                "check_request_cost_ms": round(medians["check_request"] - medians["none"], 4),
                "session_check_cost_ms": round(medians["check_request"] - medians["check_api_key"], 4),
                "check_request_ratio": round(medians["check_request"] / medians["none"], 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
