"""Orders under concurrency, on real connections (tests/support/concurrency.py): no oversell,
no deadlock between multi-item orders, one order per idempotency key."""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

from tests.support.concurrency import race
from tests.support.postgrest import PostgrestError, Session
from tests.support.team import Team, new_person


def active_product(team: Team, stock: int, price: int = 1000) -> str:
    (row,) = team.superuser(
        "insert into public.products (organization_id, sku, name, price_amount, stock, status)"
        " values (%s, %s, 'Ring', %s, %s, 'active') returning id",
        [team.org_id, f"SKU-{uuid.uuid4().hex[:8]}", price, stock],
    )
    return str(row["id"])


def test_200_buyers_of_100_units_buy_exactly_100(team: Team) -> None:
    product = active_product(team, stock=100)
    buyers = [new_person(team.url, "buyer").session(team.api) for _ in range(200)]
    items = [{"product_id": product, "quantity": 1}]
    # 200 threads start together; at most 40 hold a connection at once (the server's
    # max_connections is 100, shared with the other test worker)
    connections = threading.BoundedSemaphore(40)

    def buy(session: Session) -> Any:
        with connections:
            return session.rpc("place_order", organization_id=team.org_id, items=items)

    results = race([lambda s=s: buy(s) for s in buyers])
    sold = [r for r in results if not isinstance(r, PostgrestError)]
    refused = [r for r in results if isinstance(r, PostgrestError)]
    assert len(sold) == 100
    assert {e.sqlstate for e in refused} == {"LU102"}
    assert len(refused) == 100
    (row,) = team.superuser(
        "select p.stock, (select count(*) from public.orders where organization_id = p.organization_id) as orders,"
        " (select coalesce(sum(quantity), 0) from public.order_items where product_id = p.id) as units"
        " from public.products as p where p.id = %s",
        [product],
    )
    assert (row["stock"], row["orders"], row["units"]) == (0, 100, 100)


def test_random_multi_item_orders_finish_without_deadlock(team: Team) -> None:
    products = [active_product(team, stock=1000) for _ in range(6)]
    rng = random.Random(11)
    calls = []
    for _ in range(40):
        chosen = rng.sample(products, rng.randint(2, 5))
        items = [{"product_id": p, "quantity": rng.randint(1, 3)} for p in chosen]
        session = new_person(team.url, "buyer").session(team.api)
        calls.append(lambda s=session, i=items: s.rpc("place_order", organization_id=team.org_id, items=i))
    results = race(calls)
    errors = [r for r in results if isinstance(r, PostgrestError)]
    assert errors == []  # a deadlock would surface as 40P01
    (row,) = team.superuser(
        "select (select sum(stock) from public.products where id = any(%s::uuid[])) as stock,"
        " (select sum(quantity) from public.order_items where product_id = any(%s::uuid[])) as units",
        [products, products],
    )
    assert row["stock"] + row["units"] == 6000


def test_the_same_idempotency_key_sent_twice_at_once_makes_one_order(team: Team) -> None:
    product = active_product(team, stock=10)
    session = new_person(team.url, "buyer").session(team.api)
    items = [{"product_id": product, "quantity": 2}]
    for attempt in range(5):
        key = f"cart-{attempt}"
        results = race(
            [
                lambda k=key: session.rpc(
                    "place_order", organization_id=team.org_id, items=items, idempotency_key=k
                )
                for _ in range(2)
            ]
        )
        assert not any(isinstance(r, PostgrestError) for r in results), results
        assert results[0]["id"] == results[1]["id"]
    (row,) = team.superuser(
        "select stock, (select count(*) from public.orders where organization_id = %s) as orders"
        " from public.products where id = %s",
        [team.org_id, product],
    )
    assert (row["stock"], row["orders"]) == (0, 5)


def test_a_code_with_10_uses_is_used_exactly_10_times_by_40_concurrent_buyers(team: Team) -> None:
    product = active_product(team, stock=1000)
    team.superuser(
        "insert into public.discount_codes (organization_id, code, kind, percent_bp, max_uses)"
        " values (%s, 'RUSH', 'percent', 500, 10)",
        [team.org_id],
    )
    items = [{"product_id": product, "quantity": 1}]
    buyers = [new_person(team.url, "buyer").session(team.api) for _ in range(40)]
    results = race(
        [
            lambda s=s: s.rpc("place_order", organization_id=team.org_id, items=items, discount_code="RUSH")
            for s in buyers
        ]
    )
    assert sum(not isinstance(r, PostgrestError) for r in results) == 10
    assert {r.sqlstate for r in results if isinstance(r, PostgrestError)} == {"LU107"}
    (row,) = team.superuser("select uses from public.discount_codes where code = 'RUSH'")
    assert row["uses"] == 10
    assert stock_of_product(team, product) == 990


def stock_of_product(team: Team, product: str) -> int:
    return team.superuser("select stock from public.products where id = %s", [product])[0]["stock"]
