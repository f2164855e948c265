"""The orders migration applies to a database that already holds orders (written by the service
role before placement existed): each gets an order number in the year it was placed, its total
becomes its subtotal, and its status starts its history."""

from __future__ import annotations

import psycopg
import pytest

from luneo.core import migrations
from luneo.core.settings import load_settings
from tests.support.pg import REPO, superuser


def test_the_orders_migration_keeps_the_orders_already_there(empty_db_url: str) -> None:
    settings = load_settings(REPO, empty_db_url)
    migrations.apply(settings, target="20261121130000")
    (org,) = superuser(
        empty_db_url, "insert into public.organizations (name, slug) values ('Old', 'old-brand') returning id"
    )
    superuser(
        empty_db_url,
        "insert into public.orders (organization_id, customer_email, status, total_amount, placed_at) values"
        " (%(org)s, 'Mixed.Case@Example.com', 'paid', 24500, '2025-03-01'),"
        " (%(org)s, null, 'shipped', 0, '2026-01-02'),"
        " (%(org)s, 'a@example.com', 'pending', 8900, '2026-05-05')",
        {"org": org["id"]},
    )
    migrations.apply(settings)
    rows = superuser(
        empty_db_url,
        "select order_number, status, subtotal_amount, discount_amount, tax_amount, shipping_amount,"
        " total_amount, customer_email from public.orders order by placed_at",
    )
    assert [r["order_number"][:9] for r in rows] == ["LUN-2025-", "LUN-2026-", "LUN-2026-"]
    assert len({r["order_number"] for r in rows}) == 3
    assert [(r["subtotal_amount"], r["total_amount"]) for r in rows] == [(24500, 24500), (0, 0), (8900, 8900)]
    assert {(r["discount_amount"], r["tax_amount"], r["shipping_amount"]) for r in rows} == {(0, 0, 0)}
    assert rows[0]["customer_email"] == "Mixed.Case@Example.com"  # kept as written
    history = superuser(
        empty_db_url, "select from_status, to_status from public.order_status_history order by changed_at"
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "paid"),
        (None, "shipped"),
        (None, "pending"),
    ]
    # and the status machine now guards them
    with pytest.raises(psycopg.Error) as refused:
        superuser(empty_db_url, "update public.orders set status = 'paid' where status = 'shipped'")
    assert refused.value.sqlstate == "LU104"


def test_the_revenue_and_design_migrations_keep_the_orders_already_there(empty_db_url: str) -> None:
    """Paid, refunded and cancelled-once-paid orders get their ledger entries dated by their
    history; item designs that name no design of the brand are cleared, the others kept."""
    settings = load_settings(REPO, empty_db_url)
    migrations.apply(settings, target="20261121130300")

    def sql(query: str, params: dict | None = None) -> list[dict]:
        return superuser(empty_db_url, query, params)

    (org,) = sql("insert into public.organizations (name, slug) values ('Old', 'old-brand') returning id")
    ids = {"org": org["id"]}
    sql(
        "insert into public.orders (organization_id, customer_email, status, subtotal_amount, total_amount,"
        "  placed_at, updated_at)"
        " select %(org)s, s || '@example.com', s, 1000 * n, 1000 * n, timestamptz '2026-01-01' + n * interval '1 day',"
        "  timestamptz '2026-03-01' + n * interval '1 day'"
        " from unnest(array['pending', 'paid', 'delivered', 'refunded', 'cancelled', 'cancelled'])"
        "  with ordinality as t (s, n)",
        ids,
    )
    # the paid one went through history; the first cancelled one was paid before, the second never
    sql(
        "insert into public.order_status_history (order_id, organization_id, from_status, to_status, changed_at)"
        " select o.id, o.organization_id, h.from_status, h.to_status, h.at from public.orders as o"
        " cross join lateral (values ('pending', 'paid', timestamptz '2026-02-10'),"
        "  ('paid', 'cancelled', timestamptz '2026-02-20')) as h (from_status, to_status, at)"
        " where o.customer_email = 'cancelled@example.com' and o.total_amount = 5000"
    )
    sql(
        "insert into public.order_status_history (order_id, organization_id, from_status, to_status, changed_at)"
        " select o.id, o.organization_id, 'pending', 'paid', timestamptz '2026-02-05' from public.orders as o"
        " where o.status = 'paid'"
    )
    (ring,) = sql(
        "insert into public.products (organization_id, sku, name, price_amount) values (%(org)s, 'R-1', 'Ring', 1000)"
        " returning id",
        ids,
    )
    (design,) = sql(
        "insert into public.designs (organization_id, product_id, name) values (%(org)s, %(ring)s, 'Initials') returning id",
        ids | {"ring": ring["id"]},
    )
    sql(
        "insert into public.order_items (order_id, organization_id, product_id, design_id, sku, name,"
        "  unit_price_amount, quantity, line_total_amount, currency)"
        " select o.id, o.organization_id, %(ring)s, d, 'R-1', 'Ring', 1000, 1, 1000, 'EUR'"
        " from public.orders as o, unnest(array[%(design)s, gen_random_uuid(), null]) as d"
        " where o.status = 'paid'",
        ids | {"ring": ring["id"], "design": design["id"]},
    )

    migrations.apply(settings)

    ledger = sql(
        "select o.status, o.total_amount, r.kind, r.amount, r.recorded_at::date::text as day"
        " from public.revenue_tracking as r join public.orders as o on o.id = r.order_id order by r.recorded_at, r.id"
    )
    assert [(r["status"], r["kind"], r["amount"], r["day"]) for r in ledger] == [
        ("delivered", "payment", 3000, "2026-01-04"),  # no history: when placed
        ("refunded", "payment", 4000, "2026-01-05"),
        ("paid", "payment", 2000, "2026-02-05"),  # its history
        ("cancelled", "payment", 5000, "2026-02-10"),
        ("cancelled", "refund", -5000, "2026-02-20"),
        ("refunded", "refund", -4000, "2026-03-05"),  # no history: when last updated
    ]
    items = sql("select design_id from public.order_items order by design_id nulls last")
    assert [i["design_id"] for i in items] == [design["id"], None, None]
    (fk,) = sql("select convalidated from pg_constraint where conname = 'order_items_design_id_fkey'")
    assert fk["convalidated"] is True
