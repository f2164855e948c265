"""Revenue: the ledger public.revenue_tracking, fed by the orders' status changes (trigger
_100_record_revenue), append-only, read with orders.read.

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import pytest

from tests.integration.commerce.test_orders import order_for, set_status
from tests.support.postgrest import fails
from tests.support.team import Team


def entries(team: Team, order: dict) -> list[tuple[str, int]]:
    rows = team.superuser(
        "select kind, amount from public.revenue_tracking where order_id = %s order by id", [order["id"]]
    )
    return [(r["kind"], r["amount"]) for r in rows]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([], []),
        (["cancelled"], []),
        (["paid"], ["payment"]),
        (["paid", "processing", "shipped", "delivered"], ["payment"]),
        (["paid", "cancelled"], ["payment", "refund"]),
        (["paid", "refunded"], ["payment", "refund"]),
        (["paid", "processing", "shipped", "delivered", "refunded"], ["payment", "refund"]),
    ],
)
def test_paid_orders_record_a_payment_and_reversals_a_refund(
    team: Team, path: list[str], expected: list[str]
) -> None:
    order, _, _ = order_for(team)
    for status in path:
        set_status(team.as_("owner"), order, status)
    total = order["total_amount"]
    assert entries(team, order) == [(kind, total if kind == "payment" else -total) for kind in expected]


def test_orders_written_paid_or_refunded_by_the_service_role_are_recorded(team: Team) -> None:
    service = team.as_("service_role")
    paid = service.insert("orders", {"organization_id": team.org_id, "total_amount": 5000, "status": "paid"})[
        0
    ]
    refunded = service.insert(
        "orders",
        {"organization_id": team.org_id, "total_amount": 7000, "currency": "USD", "status": "refunded"},
    )[0]
    free = service.insert("orders", {"organization_id": team.org_id, "total_amount": 0, "status": "paid"})[0]
    assert entries(team, paid) == [("payment", 5000)]
    assert entries(team, refunded) == [("payment", 7000), ("refund", -7000)]
    assert entries(team, free) == []
    (row,) = team.superuser(
        "select currency from public.revenue_tracking where order_id = %s limit 1", [refunded["id"]]
    )
    assert row["currency"] == "USD"


def test_the_ledger_is_read_with_orders_read_and_never_edited(team: Team) -> None:
    order, _, customer_session = order_for(team)
    set_status(team.as_("owner"), order, "paid")
    for who in ("viewer", "designer", "manager", "admin", "owner", "service_role"):
        rows = team.as_(who).select("revenue_tracking", order_id=order["id"])
        assert [(r["kind"], r["amount"]) for r in rows] == [("payment", order["total_amount"])], who
    # the customer sees their order, not the brand's books
    assert customer_session.select("revenue_tracking", order_id=order["id"]) == []
    (entry,) = team.superuser("select id from public.revenue_tracking where order_id = %s", [order["id"]])
    for who in ("owner", "service_role"):
        fails("42501", team.as_(who).update, "revenue_tracking", {"amount": 1}, id=entry["id"])
        fails("42501", team.as_(who).delete, "revenue_tracking", id=entry["id"])
    fails(
        "42501",
        team.as_("owner").insert,
        "revenue_tracking",
        {"organization_id": team.org_id, "kind": "adjustment", "amount": 100, "currency": "EUR"},
    )
    assert entries(team, order) == [("payment", order["total_amount"])]


def test_the_service_role_adds_adjustments_but_no_second_payment(team: Team) -> None:
    order, _, _ = order_for(team)
    set_status(team.as_("owner"), order, "paid")
    service = team.as_("service_role")
    made = service.insert(
        "revenue_tracking",
        {
            "organization_id": team.org_id,
            "order_id": order["id"],
            "kind": "adjustment",
            "amount": -500,
            "currency": "EUR",
            "description": "partial refund: engraving redone",
        },
    )[0]
    assert made["amount"] == -500
    payment = {"organization_id": team.org_id, "order_id": order["id"], "kind": "payment", "currency": "EUR"}
    fails("23505", service.insert, "revenue_tracking", payment | {"amount": order["total_amount"]})
    fails("23514", service.insert, "revenue_tracking", payment | {"amount": -1})  # a payment is positive
    fails(
        "23514",
        service.insert,
        "revenue_tracking",
        payment | {"kind": "refund", "order_id": None, "amount": -1},
    )
    assert entries(team, order) == [("payment", order["total_amount"]), ("adjustment", -500)]
