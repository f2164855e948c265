"""Property tests (hypothesis): whatever the items, prices, tax rate and shipping, an order's
total is exactly the sum of its parts, every amount is an integer (no floating point anywhere on
the way), and each line is its unit price times its quantity.

One organisation per test; hypothesis draws the catalogue and the basket, the order is placed
through the PostgREST-faithful helper by a signed-in customer.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.team import Team, new_person

# up to 8 lines of 10^9 x 1000: below the 10^13 ceiling of an order (22023 above it)
LINE = st.tuples(st.integers(0, 1_000_000_000), st.integers(1, 1000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(LINE, min_size=1, max_size=8),
    rate_bp=st.integers(0, 10000),
    shipping=st.one_of(st.none(), st.integers(0, 100_000_000_000)),
)
def test_an_orders_total_is_the_sum_of_its_parts(
    team: Team, lines: list[tuple[int, int]], rate_bp: int, shipping: int | None
) -> None:
    country = "Z" + chr(65 + rate_bp % 26)
    team.superuser(
        "insert into public.tax_rates (country_code, rate_bp, name) values (%s, %s, 'Test')"
        " on conflict (country_code) do update set rate_bp = excluded.rate_bp",
        [country, rate_bp],
    )
    team.superuser("delete from public.shipping_rates where organization_id = %s", [team.org_id])
    if shipping is not None:
        team.superuser(
            "insert into public.shipping_rates (organization_id, currency, amount) values (%s, 'EUR', %s)",
            [team.org_id, shipping],
        )
    items = []
    for price, quantity in lines:
        (row,) = team.superuser(
            "insert into public.products (organization_id, sku, name, price_amount, stock, status)"
            " values (%s, %s, 'P', %s, 1000, 'active') returning id",
            [team.org_id, f"P-{uuid.uuid4().hex[:10]}", price],
        )
        items.append({"product_id": str(row["id"]), "quantity": quantity})
    session = new_person(team.url, "customer").session(team.api)
    order = session.rpc(
        "place_order", organization_id=team.org_id, items=items, shipping_address={"country": country}
    )
    amounts = ("subtotal_amount", "discount_amount", "tax_amount", "shipping_amount", "total_amount")
    assert all(type(order[k]) is int for k in amounts), order  # JSON integers, never 1.0 or 1e3
    subtotal = sum(price * quantity for price, quantity in lines)
    assert order["subtotal_amount"] == subtotal
    assert order["tax_amount"] == (subtotal * rate_bp + 5000) // 10000
    assert order["shipping_amount"] == (shipping or 0)
    assert order["total_amount"] == (
        order["subtotal_amount"] - order["discount_amount"] + order["tax_amount"] + order["shipping_amount"]
    )
    stored = team.superuser(
        "select unit_price_amount, quantity, line_total_amount, pg_typeof(line_total_amount)::text as type"
        " from public.order_items where order_id = %s",
        [order["id"]],
    )
    assert sorted((r["unit_price_amount"], r["quantity"]) for r in stored) == sorted(lines)
    assert all(r["line_total_amount"] == r["unit_price_amount"] * r["quantity"] for r in stored)
    assert {r["type"] for r in stored} == {"bigint"}
    assert sum(r["line_total_amount"] for r in stored) == order["subtotal_amount"]
