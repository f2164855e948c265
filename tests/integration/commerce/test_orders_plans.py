"""Query plans of the order listings through RLS (EXPLAIN, as the signed-in caller): the brand's
listing and the customer's each walk their own index, so adding the customer policy did not
turn the brand's listing into a bitmap scan. Plans, never timings."""

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
        "insert into public.orders (organization_id, customer_id, status, total_amount, placed_at)"
        " select case when g %% 10 = 0 then %s else o.id end,"
        "  case when g %% 50 = 0 then %s::uuid end,"
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
