"""Orders under load: place_order's throughput against pgbench, a hot product, the listing at 1M orders.

Prints JSON, all figures from one run on one server (the embedded one under .luneo/bench unless
LUNEO_BENCH_DATABASE_URL names another), in the kept database `luneo_bench_orders` (`--reseed`
rebuilds it), migrated by luneo's own apply. Seed: a brand with 1,000,000 orders placed by
10,000 customers (auth.users rows), its viewer, and a shop with 20 active products of tracked
stock plus one hot product; the orders' triggers (number, subtotal, status history) run as in
production.

  * place_order: pgbench at 8 clients (`-c 8 -j 2 -T --seconds`, after a warm-up of a fifth of
    that), the same client as the tpcb-like figure, so the ratio compares the server's work and
    not two clients'. Each transaction is one POST /rpc/place_order as PostgREST sends it, one of
    64 scripts rendered from tests/support/postgrest.py's statements with their values in place
    (begin read write, one statement of settings as a signed-in customer, `select * from
    public.place_order(...)` with 1 to 3 items of 1 to 3 units, commit; no db-pre-request
    function), customers and baskets drawn at random. Reported as pgbench prints them: tps,
    average latency, p50/p99 from its per-transaction log, failed transactions. (A Python client
    was the driver before: on this 2-core machine its own CPU, about 0.5 ms a request, capped an
    empty request at about 2,900 tps, below pgbench's tpcb-like.)
  * pgbench: its built-in tpcb-like script at 8 clients (`-c 8 -j 2 -T --seconds`) in the
    database `luneo_bench_pgbench` on the same server, initialised afresh (`-i -s 10`) each
    run; the same figures. The ratio place_order/pgbench is reported against the target (at
    least 1.0).
  * hot_product: 200 buyers (distinct customers) of one product with exactly 100 units in
    stock, each buying 1 unit once, started together; at most `max_connections` minus a margin
    connections at once, each then serving several buyers in turn (`connections` says how
    many). The stock is reset first. Exactly 100 must be sold and 100 refused with LU102.
  * listing: the brand's newest 50 orders (`order by placed_at desc limit 50`) as its viewer
    through RLS with PostgREST's filter `organization_id=eq.<id>`, against the same query as
    service_role (no RLS), requests alternating on one kept connection as in bench.rls; the
    ratio of medians against the target (at most 1.1). Beside it, a customer's own orders newest
    first (`customer_id=eq.<me>`, through RLS).

    .venv/bin/python -m bench.orders [--seconds 20] [--requests 300] [--reseed]
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench import _common
from luneo.core import embedded
from luneo.core.db import with_database
from tests.support.postgrest import Request, request_statements

DATABASE = "luneo_bench_orders"
PGBENCH_DATABASE = "luneo_bench_pgbench"
ORDERS = 1_000_000
CUSTOMERS = 10_000
PRODUCTS = 20
STOCK = 1_000_000_000  # the most products.stock allows: never runs out during a TPS run
HOT_STOCK = 100
BUYERS = 200
CLIENTS = 8
SCRIPTS = 64
PGBENCH_SCALE = 10
TPS_TARGET = 1.0
LISTING_TARGET = 1.1
BRAND, SHOP = "bench-brand", "bench-shop"
VIEWER = "bench@example.com"
PLACE_ORDER = "select * from public.place_order(organization_id => %s, items => %s)"
LISTING = "select * from public.orders where {column} = %s order by placed_at desc limit 50"


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# == the data =====================================================================================


def seed(url: str, *, orders: int = ORDERS, customers: int = CUSTOMERS) -> None:
    """The brand with `orders` orders of `customers` customers and its viewer; the shop's products."""
    with psycopg.connect(url, autocommit=True) as conn:
        progress(f"seeding {customers:,} customers, the brand, its viewer and the shop...")
        conn.execute(
            "insert into auth.users (id, aud, role, email, raw_user_meta_data)"
            " select gen_random_uuid(), 'authenticated', 'authenticated', 'customer' || n || '@example.com',"
            " jsonb_build_object('full_name', 'Customer ' || n) from generate_series(1, %s) as n",
            [customers],
        )
        conn.execute(
            "insert into public.organizations (name, slug) values ('Bench Brand', %s), ('Bench Shop', %s)",
            [BRAND, SHOP],
        )
        viewer = uuid.uuid4()
        conn.execute(
            "insert into auth.users (id, aud, role, email, raw_user_meta_data) values"
            " (%s, 'authenticated', 'authenticated', %s, %s)",
            [viewer, VIEWER, Jsonb({"full_name": "Bench Viewer"})],
        )
        conn.execute(
            "insert into public.team_members (organization_id, user_id, role)"
            " select id, %s, 'viewer' from public.organizations where slug = %s",
            [viewer, BRAND],
        )
        conn.execute(
            "insert into public.products (organization_id, sku, name, price_amount, stock, status)"
            " select o.id, 'BENCH-' || n, 'Ring ' || n, 1000 * n, %s, 'active'"
            " from public.organizations as o, generate_series(1, %s) as n where o.slug = %s",
            [STOCK, PRODUCTS, SHOP],
        )
        conn.execute(
            "insert into public.products (organization_id, sku, name, price_amount, stock, status)"
            " select id, 'HOT', 'The hot ring', 50000, %s, 'active'"
            " from public.organizations where slug = %s",
            [HOT_STOCK, SHOP],
        )
        # explicit numbers (7 digits, as imported orders): the default, private.next_order_number(),
        # pads with lpad(n, 6), which cuts the 1,000,000th number to 6 digits and repeats one
        progress(f"seeding {orders:,} orders in one organisation (triggers on)...")
        started = time.perf_counter()
        conn.execute(
            """
            insert into public.orders
                (organization_id, order_number, customer_id, customer_email, status, total_amount, placed_at)
            select b.id, 'LUN-' || to_char(t.at, 'YYYY') || '-' || to_char(n, 'FM0000000'),
                   c.ids[1 + n %% %(customers)s], 'customer' || (1 + n %% %(customers)s) || '@example.com',
                   'paid', n %% 50000, t.at
            from generate_series(1, %(orders)s) as n
            cross join lateral (select now() - make_interval(secs => n) as at) as t
            cross join (select id from public.organizations where slug = %(brand)s) as b
            cross join (
                select array_agg(id order by substring(email from '[0-9]+')::int) as ids
                from auth.users where email like 'customer%%'
            ) as c
            """,
            {"customers": customers, "orders": orders, "brand": BRAND},
        )
        progress(f"orders inserted in {time.perf_counter() - started:.0f} s; vacuum analyze...")
        conn.execute("vacuum analyze")
        progress("seeded")


@dataclass(frozen=True)
class Shop:
    organization_id: str
    products: list[str]
    hot_product: str
    customers: list[tuple[str, str]]  # (id, email)

    def customer(self, index: int) -> Request:
        sub, email = self.customers[index % len(self.customers)]
        return Request(
            "authenticated", {"role": "authenticated", "aud": "authenticated", "sub": sub, "email": email}
        )


def shop(url: str) -> Shop:
    with psycopg.connect(url, autocommit=True) as conn:
        (org,) = conn.execute("select id::text from public.organizations where slug = %s", [SHOP]).fetchone()
        products = conn.execute(
            "select id::text, sku from public.products where organization_id = %s order by sku", [org]
        ).fetchall()
        customers = conn.execute(
            "select id::text, email from auth.users where email like 'customer%%' order by email"
        ).fetchall()
    return Shop(
        org,
        [id_ for id_, sku in products if sku != "HOT"],
        next(id_ for id_, sku in products if sku == "HOT"),
        customers,
    )


def restock(url: str, place: Shop, hot_stock: int = HOT_STOCK) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update public.products set stock = %s where id = any(%s::uuid[])", [STOCK, place.products]
        )
        conn.execute("update public.products set stock = %s where id = %s", [hot_stock, place.hot_product])
        conn.execute("checkpoint")


def place_order(conn: psycopg.Connection[Any], caller: Request, organization_id: str, items: list) -> float:
    """POST /rpc/place_order as PostgREST sends it; its wall time. Rolls back and raises on error."""
    try:
        elapsed, _rows = _common.request(
            conn,
            caller,
            PLACE_ORDER,
            [organization_id, Jsonb(items)],
            method="POST",
            path="/rpc/place_order",
            read_only=False,
        )
    except psycopg.Error:
        if not conn.closed:
            conn.execute("rollback")
        raise
    return elapsed


# == place_order throughput and pgbench: one client for both ========================================


def find_pgbench() -> str:
    """The embedded server's pgbench (next to its postgres), else the system's, else PATH's."""
    if embedded.available() and (beside := embedded.program("pgbench")).exists():
        return str(beside)
    system = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), key=lambda p: int(p.parts[-3]))
    if system:
        return str(system[-1])
    found = shutil.which("pgbench")
    if not found:
        raise SystemExit("pgbench not found: install the PostgreSQL client tools")
    return found


def run_pgbench(url: str, script: list[str], *, seconds: float, clients: int) -> dict[str, Any]:
    """pgbench with `script` (its -b/-f options) at `clients` clients for `seconds`: its tps,
    average latency, p50/p99 from its per-transaction log, failed transactions."""
    binary = find_pgbench()
    with tempfile.TemporaryDirectory() as tmp:
        command = [binary, "-n", "-c", str(clients), "-j", "2", "-T", str(max(1, round(seconds))), *script]
        done = subprocess.run(
            [*command, "--log", "--log-prefix", f"{tmp}/tx", url], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        latencies = [
            int(line.split()[2]) / 1e6
            for log in Path(tmp).glob("tx.*")
            for line in log.read_text().splitlines()
            if line.strip()
        ]
    out = done.stdout

    def number(pattern: str) -> float | None:
        found = re.search(pattern, out)
        return round(float(found.group(1)), 1) if found else None

    return {
        "clients": clients,
        "threads": 2,
        "seconds": max(1, round(seconds)),
        "transactions": len(latencies),
        "tps": number(r"tps = ([0-9.]+)"),
        "latency_average_ms": float(re.search(r"latency average = ([0-9.]+) ms", out).group(1)),
        "p50_ms": round(_common.median_ms(latencies), 3) if latencies else None,
        "p99_ms": round(_common.percentile_ms(latencies, 99), 3) if latencies else None,
        "failed": int(number(r"number of failed transactions: ([0-9]+)") or 0),
    }


def place_order_scripts(url: str, place: Shop, directory: Path, *, count: int = SCRIPTS) -> list[Path]:
    """`count` pgbench scripts, each one POST /rpc/place_order as PostgREST sends it (the
    statements of tests/support/postgrest.py with their values in place) for a customer and a
    basket of 1 to 3 products, 1 to 3 units each, drawn at random; pgbench picks one per transaction."""
    rng = random.Random(0)
    scripts = []
    with psycopg.connect(url, autocommit=True) as conn, psycopg.ClientCursor(conn) as cursor:
        for index in range(count):
            caller = place.customer(rng.randrange(len(place.customers)))
            items = [
                {"product_id": product, "quantity": rng.randint(1, 3)}
                for product in rng.sample(place.products, rng.randint(1, 3))
            ]
            statements = [
                cursor.mogrify(query, params)
                for query, params in request_statements(
                    caller, method="POST", path="/rpc/place_order", read_only=False
                )
            ]
            statements.append(cursor.mogrify(PLACE_ORDER, [place.organization_id, Jsonb(items)]))
            statements.append("commit")
            script = directory / f"place_order_{index}.sql"
            script.write_text("".join(f"{statement};\n" for statement in statements))
            scripts.append(script)
    return scripts


def place_order_tps(url: str, place: Shop, *, seconds: float, clients: int = CLIENTS) -> dict[str, Any]:
    """place_order under pgbench at `clients` clients for `seconds`, after a warm-up of a fifth of that."""
    restock(url, place)
    with tempfile.TemporaryDirectory() as tmp:
        scripts = [f"--file={script}" for script in place_order_scripts(url, place, Path(tmp))]
        run_pgbench(url, scripts, seconds=max(1.0, seconds / 5), clients=clients)  # warm-up
        result = run_pgbench(url, scripts, seconds=seconds, clients=clients)
    return {"driver": "pgbench", "scripts": len(scripts), **result}


def pgbench(server_url: str, *, seconds: float, clients: int = CLIENTS, scale: int = PGBENCH_SCALE) -> dict:
    """pgbench's built-in tpcb-like in its own database, initialised afresh at `scale`."""
    binary = find_pgbench()
    with psycopg.connect(server_url, autocommit=True) as admin:
        if not admin.execute("select 1 from pg_database where datname = %s", [PGBENCH_DATABASE]).fetchone():
            admin.execute(f'create database "{PGBENCH_DATABASE}"')
    url = with_database(server_url, PGBENCH_DATABASE)
    progress(f"pgbench -i -s {scale}...")
    subprocess.run([binary, "-i", "-q", "-s", str(scale), url], check=True, capture_output=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")
    progress(f"pgbench tpcb-like, {clients} clients, {seconds:g} s...")
    version = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout
    result = run_pgbench(url, ["--builtin=tpcb-like"], seconds=seconds, clients=clients)
    return {"binary": binary, "version": version.strip(), "script": "tpcb-like", "scale": scale, **result}


# == the hot product ==============================================================================


def hot_product(url: str, place: Shop, *, buyers: int = BUYERS, stock: int = HOT_STOCK) -> dict[str, Any]:
    """`buyers` distinct customers buying 1 unit each of a product with `stock` units, together."""
    restock(url, place, stock)
    with psycopg.connect(url, autocommit=True) as conn:
        limit, reserved, used = conn.execute(
            "select current_setting('max_connections')::int,"
            " current_setting('superuser_reserved_connections')::int,"
            " (select count(*) from pg_stat_activity where backend_type = 'client backend')"
        ).fetchone()
    connections = max(1, min(buyers, limit - reserved - used - 10))
    queue = list(range(buyers))
    lock = threading.Lock()
    barrier = threading.Barrier(connections + 1)
    outcomes: Counter[str] = Counter()
    items = [{"product_id": place.hot_product, "quantity": 1}]

    def connection() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            barrier.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    buyer = queue.pop()
                try:
                    place_order(conn, place.customer(buyer), place.organization_id, items)
                    outcome = "sold"
                except psycopg.Error as exc:
                    outcome = exc.sqlstate or "?"
                with lock:
                    outcomes[outcome] += 1

    threads = [threading.Thread(target=connection) for _ in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        (left,) = conn.execute(
            "select stock from public.products where id = %s", [place.hot_product]
        ).fetchone()
    sold, refused = outcomes.pop("sold", 0), outcomes.pop("LU102", 0)
    result = {
        "buyers": buyers,
        "stock": stock,
        "connections": connections,
        "elapsed_ms": round(elapsed * 1000, 1),
        "sold": sold,
        "rejected_lu102": refused,
        "other_errors": dict(outcomes),
        "stock_left": left,
        "tps": round(buyers / elapsed, 1),
        "exact": sold == stock and refused == buyers - stock and not outcomes and left == 0,
    }
    if connections < buyers:
        result["note"] = (
            f"max_connections is {limit}: {connections} connections serve the {buyers} buyers, "
            "each buyer one request of its own"
        )
    return result


# == the listing ==================================================================================


def listing(url: str, *, requests: int) -> dict[str, Any]:
    """The brand's newest 50 orders through RLS vs service_role with the filter; a customer's own."""
    with psycopg.connect(url, autocommit=True) as conn:
        viewer, brand, orders = conn.execute(
            "select m.user_id::text, m.organization_id,"
            " (select count(*) from public.orders as o where o.organization_id = m.organization_id)"
            " from public.team_members as m join auth.users as u on u.id = m.user_id where u.email = %s",
            [VIEWER],
        ).fetchone()
        customer, email, own = conn.execute(
            "select u.id::text, u.email, count(*) from public.orders as o"
            " join auth.users as u on u.id = o.customer_id"
            " where o.organization_id = %s and u.email = 'customer1@example.com' group by 1, 2",
            [brand],
        ).fetchone()
        member = Request("authenticated", {"role": "authenticated", "sub": viewer, "email": VIEWER})
        buyer = Request("authenticated", {"role": "authenticated", "sub": customer, "email": email})
        service = Request("service_role", {"role": "service_role"})
        by_org, by_customer = LISTING.format(column="organization_id"), LISTING.format(column="customer_id")
        sides: dict[str, Callable[[], float]] = {
            "explicit": lambda: get(conn, service, by_org, brand),
            "rls": lambda: get(conn, member, by_org, brand),
            "customer_own": lambda: get(conn, buyer, by_customer, customer),
        }
        samples: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(20):  # warm-up: caches, plans
            for run in sides.values():
                run()
        for _ in range(requests):  # interleaved, so drift hits every side alike
            for side, run in sides.items():
                samples[side].append(run())
    medians = {side: _common.median_ms(values) for side, values in samples.items()}
    ratio = round(medians["rls"] / medians["explicit"], 3)  # the verdict reads the printed figure
    return {
        "organization_orders": orders,
        "customer_orders_in_organization": own,
        "requests_per_side": requests,
        "explicit_ms": round(medians["explicit"], 3),
        "rls_ms": round(medians["rls"], 3),
        "ratio": ratio,
        "target_ratio": LISTING_TARGET,
        "meets_target": ratio <= LISTING_TARGET,
        "customer_own_ms": round(medians["customer_own"], 3),
    }


def get(conn: psycopg.Connection[Any], caller: Request, query: str, value: Any) -> float:
    elapsed, rows = _common.request(conn, caller, query, [value], path="/orders")
    if len(rows) != 50:
        raise SystemExit(f"expected 50 rows, got {len(rows)} for {query!r} as {caller.claims}")
    return elapsed


# == the run ======================================================================================


def main() -> None:
    parser = _common.arguments(__doc__)
    parser.add_argument("--seconds", type=float, default=20, help="each throughput run (default 20)")
    parser.add_argument("--requests", type=int, default=300, help="listing requests per side (default 300)")
    args = parser.parse_args()
    server_url = _common.server()
    url = _common.kept_database(server_url, DATABASE, seed, reseed=args.reseed)
    with psycopg.connect(url, autocommit=True) as conn:
        server_version = conn.execute("show server_version").fetchone()[0]
    place = shop(url)
    bench = pgbench(server_url, seconds=args.seconds)
    progress(f"place_order, {CLIENTS} clients, {args.seconds:g} s...")
    orders = place_order_tps(url, place, seconds=args.seconds)
    progress(f"hot product: {BUYERS} buyers of {HOT_STOCK} units...")
    hot = hot_product(url, place)
    progress(f"listing at {ORDERS:,} orders, {args.requests} requests per side...")
    listed = listing(url, requests=args.requests)
    ratio = round(orders["tps"] / bench["tps"], 3) if bench["tps"] else 0.0
    print(
        json.dumps(
            {
                "benchmark": "orders",
                "server_version": server_version,
                "cpus": os.cpu_count(),
                "place_order": orders,
                "pgbench": bench,
                "tps_ratio": ratio,
                "target_ratio": TPS_TARGET,
                "meets_target": ratio >= TPS_TARGET,
                "hot_product": hot,
                "listing": listed,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
