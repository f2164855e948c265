"""The order views (orders_with_items, order_stats, analytics_daily, user_stats): their figures,
computed in integers, and that each shows exactly what its caller may read (security_invoker).

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.integration.commerce.test_orders import FR, customer, place, product, set_status
from tests.support.postgrest import fails
from tests.support.team import Team, new_person


def shop(team: Team) -> dict[str, Any]:
    """Two customers' orders in EUR and one in USD, in several statuses, and two designs."""
    ring = product(team, price_amount=12345, stock=100)
    pendant = product(team, price_amount=999, stock=100)
    dollar = product(team, price_amount=5000, stock=100, currency="USD")
    alice, alice_session = customer(team)
    bob, bob_session = customer(team)
    owner = team.as_("owner")
    paid = place(
        alice_session,
        team,
        [{"product_id": ring["id"], "quantity": 2}, {"product_id": pendant["id"], "quantity": 1}],
        shipping_address=FR,
    )
    set_status(owner, paid, "paid")
    delivered = place(alice_session, team, [{"product_id": pendant["id"], "quantity": 3}])
    for status in ("paid", "processing", "shipped", "delivered"):
        set_status(owner, delivered, status)
    refunded = place(bob_session, team, [{"product_id": ring["id"], "quantity": 1}])
    set_status(owner, refunded, "paid")
    set_status(owner, refunded, "refunded")
    pending = place(bob_session, team, [{"product_id": pendant["id"], "quantity": 1}])
    cancelled = place(bob_session, team, [{"product_id": pendant["id"], "quantity": 1}])
    set_status(owner, cancelled, "cancelled")
    usd = place(alice_session, team, [{"product_id": dollar["id"], "quantity": 1}])
    set_status(owner, usd, "paid")
    designer = team.as_("designer")
    designer.insert("designs", {"organization_id": team.org_id, "name": "Draft"})
    designer.insert("designs", {"organization_id": team.org_id, "name": "Done", "status": "completed"})
    return {
        "alice": alice, "alice_session": alice_session, "bob": bob, "bob_session": bob_session,
        "paid": paid, "delivered": delivered, "refunded": refunded, "pending": pending,
        "cancelled": cancelled, "usd": usd, "ring": ring, "pendant": pendant,
    }  # fmt: skip


def test_orders_with_items_lists_each_order_with_its_items(team: Team) -> None:
    s = shop(team)
    rows = team.as_("viewer").select("orders_with_items", organization_id=team.org_id)
    by_id = {str(r["id"]): r for r in rows}
    assert set(by_id) == {
        s[k]["id"] for k in ("paid", "delivered", "refunded", "pending", "cancelled", "usd")
    }
    paid = by_id[s["paid"]["id"]]
    assert paid["order_number"] == s["paid"]["order_number"]
    assert paid["total_amount"] == s["paid"]["total_amount"]
    assert sorted((i["sku"], i["quantity"], i["line_total_amount"]) for i in paid["items"]) == sorted(
        [(s["ring"]["sku"], 2, 24690), (s["pendant"]["sku"], 1, 999)]
    )
    assert sum(i["line_total_amount"] for i in paid["items"]) == paid["subtotal_amount"]
    # a customer sees their own orders with their items, nothing of the others'
    mine = s["bob_session"].select("orders_with_items", organization_id=team.org_id)
    assert {str(r["id"]) for r in mine} == {s[k]["id"] for k in ("refunded", "pending", "cancelled")}
    assert all(len(r["items"]) == 1 for r in mine)
    assert new_person(team.url, "outsider").session(team.api).select("orders_with_items") == []


def test_order_stats_counts_and_sums_in_integers(team: Team) -> None:
    s = shop(team)
    rows = team.as_("viewer").select("order_stats", organization_id=team.org_id)
    by_currency = {r["currency"]: r for r in rows}
    assert set(by_currency) == {"EUR", "USD"}
    eur = by_currency["EUR"]
    revenue = s["paid"]["total_amount"] + s["delivered"]["total_amount"]
    assert {k: eur[k] for k in (
        "orders_count", "pending_count", "paid_count", "delivered_count", "cancelled_count", "refunded_count",
        "revenue_amount", "average_order_amount",
    )} == {
        "orders_count": 5, "pending_count": 1, "paid_count": 2, "delivered_count": 1, "cancelled_count": 1,
        "refunded_count": 1, "revenue_amount": revenue, "average_order_amount": (revenue + 1) // 2,
    }  # fmt: skip
    assert isinstance(eur["revenue_amount"], int)
    assert isinstance(eur["average_order_amount"], int)
    assert by_currency["USD"]["revenue_amount"] == s["usd"]["total_amount"]
    # the customer's stats are those of their own orders
    (bob,) = s["bob_session"].select("order_stats", organization_id=team.org_id)
    assert (bob["orders_count"], bob["paid_count"], bob["revenue_amount"]) == (3, 0, 0)
    assert bob["average_order_amount"] is None


def test_analytics_daily_counts_the_day_and_nets_revenue_per_currency(team: Team) -> None:
    s = shop(team)
    # one order placed and paid on another day
    team.superuser(
        "update public.orders set placed_at = '2026-01-15 23:30+00' where id = %s", [s["pending"]["id"]]
    )
    team.superuser(
        "update public.revenue_tracking set recorded_at = '2026-01-16 00:30+00' where order_id = %s",
        [s["usd"]["id"]],
    )
    rows = team.as_("viewer").select("analytics_daily", organization_id=team.org_id)
    by_day = {r["day"]: r for r in rows}
    today = team.superuser("select (now() at time zone 'UTC')::date as d")[0]["d"]
    assert set(by_day) == {today, date(2026, 1, 15), date(2026, 1, 16)}
    assert (by_day[today]["designs_created"], by_day[today]["designs_completed"]) == (2, 1)
    assert by_day[today]["orders_placed"] == 5
    # the refunded order's payment and refund cancel out, the USD payment is on its own day
    assert by_day[today]["revenue"] == {"EUR": s["paid"]["total_amount"] + s["delivered"]["total_amount"]}
    assert by_day[date(2026, 1, 15)] | {"revenue": None} == {
        "organization_id": team.org_id, "day": date(2026, 1, 15), "designs_created": 0,
        "designs_completed": 0, "orders_placed": 1, "revenue": None,
    }  # fmt: skip
    assert by_day[date(2026, 1, 15)]["revenue"] == {}
    assert by_day[date(2026, 1, 16)]["revenue"] == {"USD": s["usd"]["total_amount"]}
    # a filter on the day narrows it
    assert [
        r["day"]
        for r in team.as_("viewer").select(
            "analytics_daily", organization_id=team.org_id, day=date(2026, 1, 16)
        )
    ] == [date(2026, 1, 16)]
    # an outsider sees nothing; a customer only their own orders, no designs, no revenue
    assert new_person(team.url, "outsider").session(team.api).select("analytics_daily") == []
    bob = {r["day"]: r for r in s["bob_session"].select("analytics_daily", organization_id=team.org_id)}
    assert {d: (r["orders_placed"], r["designs_created"], r["revenue"]) for d, r in bob.items()} == {
        today: (2, 0, {}),
        date(2026, 1, 15): (1, 0, {}),
    }


def test_user_stats_per_person(team: Team) -> None:
    s = shop(team)
    rows = {r["user_id"]: r for r in team.as_("viewer").select("user_stats", organization_id=team.org_id)}
    alice = rows[s["alice"].id]
    assert (alice["orders_placed"], alice["designs_created"]) == (3, 0)
    assert alice["spent"] == {
        "EUR": s["paid"]["total_amount"] + s["delivered"]["total_amount"],
        "USD": s["usd"]["total_amount"],
    }
    bob = rows[s["bob"].id]
    assert (bob["orders_placed"], bob["spent"]) == (3, {"EUR": 0})
    designer = rows[team.people["designer"].id]
    assert (designer["designs_created"], designer["designs_completed"], designer["orders_placed"]) == (
        2,
        1,
        0,
    )
    assert designer["spent"] == {}
    # a customer sees their own line only, and the filter on user_id reaches it
    assert [r["user_id"] for r in s["bob_session"].select("user_stats")] == [s["bob"].id]
    one = team.as_("viewer").select("user_stats", organization_id=team.org_id, user_id=s["alice"].id)
    assert [r["user_id"] for r in one] == [s["alice"].id]


def test_the_views_are_read_only(team: Team) -> None:
    s = shop(team)

    for who in ("owner", "service_role"):
        session = team.as_(who)
        fails("42501", session.update, "orders_with_items", {"status": "cancelled"}, id=s["pending"]["id"])
        fails("42501", session.delete, "orders_with_items", id=s["pending"]["id"])
    (row,) = team.superuser("select status from public.orders where id = %s", [s["pending"]["id"]])
    assert row["status"] == "pending"
