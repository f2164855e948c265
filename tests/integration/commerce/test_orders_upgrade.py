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
