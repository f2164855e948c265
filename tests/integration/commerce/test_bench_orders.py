"""bench.orders at a tiny size: its figures are there, and the hot product sells exactly its stock.

No timing is asserted (docs/benchmarks.md: tests never assert timings). place_order runs under
pgbench for a second, as the benchmark drives it; the tpcb-like figure is not run here.
"""

from __future__ import annotations

import psycopg

from bench import orders


def count_orders(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from public.orders").fetchone()[0]


def test_bench_orders_reports_its_figures_and_sells_the_hot_product_exactly(db_url: str) -> None:
    # 1,000 orders over 20 customers: 50 each, the listing's page size
    orders.seed(db_url, orders=1_000, customers=20)
    place = orders.shop(db_url)
    assert (len(place.products), len(place.customers)) == (orders.PRODUCTS, 20)

    before = count_orders(db_url)
    placed = orders.place_order_tps(db_url, place, seconds=1, clients=2)
    assert placed["driver"] == "pgbench"
    assert placed["transactions"] > 0
    assert placed["failed"] == 0
    assert placed["p50_ms"] > 0
    assert placed["p99_ms"] >= placed["p50_ms"]
    # every transaction pgbench counted placed an order (the warm-up's too), through place_order
    placed_orders = count_orders(db_url) - before
    assert placed_orders >= placed["transactions"]
    with psycopg.connect(db_url) as conn:
        unpriced = conn.execute(
            "select count(*) from public.orders as o where o.organization_id = %s and not exists"
            " (select from public.order_items as i where i.order_id = o.id)",
            [place.organization_id],
        ).fetchone()[0]
    assert unpriced == 0

    hot = orders.hot_product(db_url, place, buyers=30, stock=12)
    assert (hot["sold"], hot["rejected_lu102"], hot["other_errors"], hot["stock_left"]) == (12, 18, {}, 0)
    assert hot["exact"] is True

    listed = orders.listing(db_url, requests=3)
    assert (listed["organization_orders"], listed["customer_orders_in_organization"]) == (1_000, 50)
    assert listed["target_ratio"] == orders.LISTING_TARGET
    assert listed["meets_target"] == (listed["ratio"] <= orders.LISTING_TARGET)
    assert {"explicit_ms", "rls_ms", "customer_own_ms"} <= set(listed)
