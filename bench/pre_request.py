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

import json
import time
import uuid

import psycopg
from psycopg.types.json import Jsonb

from bench import _common
from tests.support.postgrest import Request

DATABASE = "luneo_bench_pre_request"
REVOKED = 100_000
SIDES = {"none": None, "check_request": "private.check_request", "check_api_key": "private.check_api_key"}


def seed(url: str) -> None:
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


def request(conn: psycopg.Connection, caller: Request, pre_request: str | None, me: str) -> float:
    """One GET as PostgREST sends it, with or without the pre-request function."""
    elapsed, rows = _common.request(
        conn,
        caller,
        "select * from public.profiles where id = %s",
        [me],
        path="/profiles",
        pre_request=pre_request,
    )
    if len(rows) != 1:
        raise SystemExit(f"expected the caller's profile, got {len(rows)} rows")
    return elapsed


def main() -> None:
    parser = _common.arguments(__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    url = _common.kept_database(_common.server(), DATABASE, seed, reseed=args.reseed)
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
    medians = {side: _common.median_ms(values) for side, values in samples.items()}
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
