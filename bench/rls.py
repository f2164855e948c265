"""What RLS costs: 50 orders of one organisation, through the policies versus an explicit filter.

Prints JSON. public.orders holds 1,000,000 rows spread over 1,000 organisations. Each
request is sent the way PostgREST sends it (`begin ... read only`, one statement setting
the role and the request settings, the query, `commit`), as
  * explicit: service_role (bypasses RLS) with `where organization_id = <the organisation>`;
  * rls:      an authenticated viewer of that organisation sending the same filter, as the
              frontend does (`/orders?organization_id=eq.<id>`): RLS is the guard;
  * rls_unfiltered: the same viewer without the filter, so the policy alone selects the rows.
Two listings: PostgREST's default (`limit 50`) and newest first (`order by placed_at desc
limit 50`). Requests are opened by the one PostgREST emulation the tests use
(tests/support/postgrest.py), on one kept connection as PostgREST's pool does. Requests
alternate between the sides on that connection; the ratio of medians
rls/explicit is reported against the target (issue 3: at most 1.2), and so is
rls_unfiltered/explicit, which has no target but shows what the policy alone costs.
The server is the embedded one (under .luneo/bench) unless LUNEO_BENCH_DATABASE_URL names
another. The seeded database is kept between runs (`--reseed` rebuilds it).

    .venv/bin/python -m bench.rls [--requests 300]
"""

from __future__ import annotations

import json
import sys
import uuid

import psycopg
from psycopg.types.json import Jsonb

from bench import _common
from tests.support.postgrest import Request

DATABASE = "luneo_bench_rls"
ORGANIZATIONS = 1_000
ROWS = 1_000_000
TARGET = 1.2

LISTINGS = {
    "default": "select * from public.orders{where} limit 50",
    "newest_first": "select * from public.orders{where} order by placed_at desc limit 50",
}


def seed(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        print(f"seeding {ROWS:,} orders over {ORGANIZATIONS:,} organisations...", file=sys.stderr)
        # explicit numbers (7 digits, as imported orders): the default, private.next_order_number(),
        # pads with lpad(n, 6), which cuts the 1,000,000th number to 6 digits and repeats one
        conn.execute(
            "insert into public.organizations (name, slug)"
            " select 'Brand ' || n, 'brand-' || n from generate_series(1, %s) as n",
            [ORGANIZATIONS],
        )
        conn.execute(
            """
            insert into public.orders
                (organization_id, order_number, customer_email, status, total_amount, placed_at)
            select o.ids[1 + n %% %(orgs)s],
                   'LUN-' || to_char(t.at, 'YYYY') || '-' || to_char(n, 'FM0000000'),
                   'customer' || n || '@example.com', 'paid', n %% 50000, t.at
            from generate_series(1, %(rows)s) as n
            cross join lateral (select now() - make_interval(secs => n) as at) as t
            cross join (select array_agg(id order by slug) as ids from public.organizations) as o
            """,
            {"orgs": ORGANIZATIONS, "rows": ROWS},
        )
        member = uuid.uuid4()
        conn.execute(
            "insert into auth.users (id, aud, role, email, raw_user_meta_data) values"
            " (%s, 'authenticated', 'authenticated', 'bench@example.com', %s)",
            [member, Jsonb({"full_name": "Bench Viewer"})],
        )
        conn.execute(
            "insert into public.team_members (organization_id, user_id, role)"
            " select id, %s, 'viewer' from public.organizations where slug = 'brand-500'",
            [member],
        )
        conn.execute("vacuum analyze")


def request(conn: psycopg.Connection, caller: Request, query: str) -> float:
    """One GET as PostgREST sends it: begin read only, one statement of settings, the query, commit."""
    elapsed, rows = _common.request(conn, caller, query, path="/orders")
    if len(rows) != 50:
        raise SystemExit(f"expected 50 rows, got {len(rows)} for {query!r} as {caller.role}")
    return elapsed


def main() -> None:
    parser = _common.arguments(__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url = _common.kept_database(_common.server(), DATABASE, seed, reseed=args.reseed)
    with psycopg.connect(url, autocommit=True) as conn:
        member, org = conn.execute(
            "select m.user_id, m.organization_id from public.team_members as m"
            " join auth.users as u on u.id = m.user_id where u.email = 'bench@example.com'"
        ).fetchone()
        server_version = conn.execute("show server_version").fetchone()[0]
        viewer = Request(
            "authenticated", {"role": "authenticated", "sub": str(member), "email": "bench@example.com"}
        )
        service = Request("service_role", {"role": "service_role"})
        by_org = f" where organization_id = '{org}'"
        sides = {"explicit": (service, by_org), "rls": (viewer, by_org), "rls_unfiltered": (viewer, "")}
        results = {}
        for listing, template in LISTINGS.items():
            samples: dict[str, list[float]] = {side: [] for side in sides}
            for _ in range(20):  # warm-up: caches, plans
                for caller, where in sides.values():
                    request(conn, caller, template.format(where=where))
            for _ in range(args.requests):  # interleaved, so drift hits both sides alike
                for side, (caller, where) in sides.items():
                    samples[side].append(request(conn, caller, template.format(where=where)))
            medians = {side: _common.median_ms(values) for side, values in samples.items()}
            ratio = round(medians["rls"] / medians["explicit"], 3)  # the verdict reads the printed figure
            results[listing] = {
                **{f"{side}_ms": round(value, 3) for side, value in medians.items()},
                "ratio": ratio,
                "unfiltered_ratio": round(medians["rls_unfiltered"] / medians["explicit"], 3),
                "target_ratio": TARGET,
                "meets_target": ratio <= TARGET,
            }
    print(
        json.dumps(
            {
                "benchmark": "rls_vs_explicit_filter",
                "server_version": server_version,
                "rows": ROWS,
                "organizations": ORGANIZATIONS,
                "requests_per_side": args.requests,
                "listings": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
