"""Query plans of the order listings through RLS (EXPLAIN, as the signed-in caller): the brand's
listing and the customer's each walk their own index, so adding the customer policy did not
turn the brand's listing into a bitmap scan; the search by order number or customer email and
the order views reach the orders' indexes too. Plans, never timings."""

from __future__ import annotations

import json
from typing import Any

from tests.support.team import Team, new_person


def plan(session: Any, query: str, params: list[Any]) -> str:
    (row,) = session.sql("explain (format json) " + query, params)
    return json.dumps(row["QUERY PLAN"])


def seed(team: Team, customer_id: Any) -> None:
    """Many orders in the team's organisation and in other brands, some of them the customer's."""
    team.superuser(
        "insert into public.organizations (name, slug) select 'Brand ' || g, 'plan-brand-' || g"
        " from generate_series(1, 20) as g"
    )
    team.superuser(
        "insert into public.orders (organization_id, customer_id, customer_email, status, total_amount, placed_at)"
        " select case when g %% 10 = 0 then %s else o.id end,"
        "  case when g %% 50 = 0 then %s::uuid end, 'client' || g || '@example.com',"
        "  (array['pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled'])[(g / 10) %% 6 + 1], 1000, now() - g * interval '1 minute'"
        " from generate_series(1, 20000) as g"
        " cross join lateral (select id from public.organizations where slug = 'plan-brand-' || (g %% 20 + 1)) as o",
        [team.org_id, customer_id],
    )
    team.superuser("analyze public.orders")


def test_the_brand_listing_and_the_customer_listing_each_use_their_index(team: Team) -> None:
    customer = new_person(team.url, "customer")
    seed(team, customer.id)
    brand = plan(
        team.as_("viewer"),
        "select * from public.orders where organization_id = %s order by placed_at desc limit 50",
        [team.org_id],
    )
    assert "orders_organization_id_idx" in brand, brand
    assert "Bitmap" not in brand, brand
    assert '"Sort"' not in brand, brand

    mine = plan(
        customer.session(team.api),
        "select * from public.orders where customer_id = %s order by placed_at desc limit 20",
        [customer.id],
    )
    assert "orders_customer_id_idx" in mine, mine
    assert "Bitmap" not in mine, mine
    assert '"Sort"' not in mine, mine

    by_status = plan(
        team.as_("viewer"),
        "select * from public.orders where organization_id = %s and status = 'pending'"
        " order by placed_at desc limit 50",
        [team.org_id],
    )
    assert "orders_organization_id_status_idx" in by_status, by_status


def outer_scan(plan_json: str) -> dict:
    """The node that reads the rows of a listing: under Limit, past the InitPlans."""
    (root,) = json.loads(plan_json)
    node = root["Plan"]
    while node["Node Type"] in ("Limit", "Sort", "Result") and "Plans" in node:
        node = next(p for p in node["Plans"] if p.get("Parent Relationship") == "Outer")
    return node


def test_the_brands_search_by_order_number_or_email_uses_its_indexes(team: Team) -> None:
    """Exact matches through RLS (equality is leakproof, so the index is usable); prefixes through
    search_orders (like is not leakproof: under RLS it could not use an index)."""
    seed(team, new_person(team.url, "customer").id)
    viewer = team.as_("viewer")
    (some,) = team.superuser(
        "select order_number, customer_email from public.orders where organization_id = %s limit 1",
        [team.org_id],
    )
    exact = plan(
        viewer,
        "select * from public.orders where organization_id = %s and customer_email = %s",
        [team.org_id, some["customer_email"]],
    )
    assert "orders_organization_id_customer_email_idx" in exact, exact
    by_number = plan(viewer, "select * from public.orders where order_number = %s", [some["order_number"]])
    assert "orders_order_number_key" in by_number, by_number
    # search_orders' own query, as the function plans it (the permission checked before it)
    search = (
        "select o.* from public.orders as o where o.organization_id = %s"
        " and (o.order_number like upper(%s) || '%%' or o.customer_email like lower(%s) || '%%')"
        " order by o.placed_at desc, o.id limit 50"
    )
    for prefix in (some["order_number"][:-2].lower(), some["customer_email"][:9]):
        searched = plan(team.as_("service_role"), search, [team.org_id, prefix, prefix])
        assert "orders_organization_id_order_number_idx" in searched, searched
        assert "orders_organization_id_customer_email_idx" in searched, searched
    # ... which is the function's (a change there must change this test)
    source = team.superuser(
        "select pg_get_functiondef('private.search_orders(uuid, text, integer)'::regprocedure) as d"
    )[0]["d"]
    assert "o.order_number like pg_catalog.upper(prefix) || '%'" in source
    assert "o.customer_email like pg_catalog.lower(prefix) || '%'" in source
    assert "plan_cache_mode TO 'force_custom_plan'" in source


def test_the_order_views_keep_the_listings_on_their_indexes(team: Team) -> None:
    customer = new_person(team.url, "customer")
    seed(team, customer.id)
    listing = outer_scan(
        plan(
            team.as_("viewer"),
            "select * from public.orders_with_items where organization_id = %s order by placed_at desc limit 50",
            [team.org_id],
        )
    )
    assert (listing["Node Type"], listing.get("Index Name")) == (
        "Index Scan",
        "orders_organization_id_idx",
    ), listing
    mine = outer_scan(
        plan(
            customer.session(team.api),
            "select * from public.orders_with_items where customer_id = %s order by placed_at desc limit 20",
            [customer.id],
        )
    )
    assert (mine["Node Type"], mine.get("Index Name")) == ("Index Scan", "orders_customer_id_idx"), mine
    one_person = plan(
        team.as_("viewer"),
        "select * from public.user_stats where organization_id = %s and user_id = %s",
        [team.org_id, customer.id],
    )
    assert "orders_customer_id_idx" in one_person, one_person
    assert '"Seq Scan"' not in one_person, one_person
