-- create commerce order views
--
-- Purpose: the read models of the brand's dashboard, as views with security_invoker = true, so the
--          caller's own policies decide every row they aggregate (a member with orders.read sees
--          the organisation's figures, a customer only their own orders'):
--          orders_with_items   every order with its items as a JSON array;
--          order_stats         per organisation and currency: counts by status, revenue, average;
--          analytics_daily     per organisation and UTC day: designs created and completed,
--                              orders placed, revenue per currency (from revenue_tracking);
--          user_stats          per organisation and person: designs made, orders placed, spent.
--          Money stays in integers (bigint minor units), never floating point. Each view's
--          filters on organization_id (and user_id, day) reach the tables' indexes.
-- Touches: views public.orders_with_items, public.order_stats, public.analytics_daily,
--          public.user_stats.
-- Destructive: no.

-- =============================================================================================
-- orders_with_items
-- =============================================================================================

-- the items are a scalar subquery of the output rows only: `?organization_id=eq.<id>&limit=50`
-- walks the orders' index and reads the items of those 50
create view public.orders_with_items with (security_invoker = true) as
select
    o.id,
    o.organization_id,
    o.customer_id,
    o.customer_email,
    o.customer_name,
    o.shipping_address,
    o.status,
    o.total_amount,
    o.currency,
    o.placed_at,
    o.created_at,
    o.updated_at,
    o.order_number,
    o.subtotal_amount,
    o.discount_amount,
    o.tax_amount,
    o.shipping_amount,
    o.tax_rate_bp,
    o.api_key_id,
    o.idempotency_key,
    o.stripe_payment_intent_id,
    o.stripe_checkout_session_id,
    o.discount_code_id,
    (
        select
            coalesce(pg_catalog.jsonb_agg(
                pg_catalog.jsonb_build_object(
                    'id', i.id,
                    'product_id', i.product_id,
                    'design_id', i.design_id,
                    'sku', i.sku,
                    'name', i.name,
                    'unit_price_amount', i.unit_price_amount,
                    'quantity', i.quantity,
                    'line_total_amount', i.line_total_amount,
                    'currency', i.currency,
                    'customisation', i.customisation
                )
                order by i.created_at, i.id
            ), '[]'::jsonb)
        from public.order_items as i
        where i.order_id = o.id
    ) as items
from public.orders as o;

comment on view public.orders_with_items is
'Orders with their items (items: [{id, product_id, design_id, sku, name, unit_price_amount, quantity, '
'line_total_amount, currency, customisation}]), as the caller may read them.';

-- =============================================================================================
-- order_stats
-- =============================================================================================

create view public.order_stats with (security_invoker = true) as
select
    s.organization_id,
    s.currency,
    s.orders_count,
    s.pending_count,
    s.paid_count,
    s.delivered_count,
    s.cancelled_count,
    s.refunded_count,
    s.revenue_amount,
    -- rounded half up, in integers
    case when s.paid_count > 0 then (s.revenue_amount + s.paid_count / 2) / s.paid_count end as average_order_amount,
    s.first_order_at,
    s.last_order_at
from (
    select
        o.organization_id,
        o.currency,
        count(*) as orders_count,
        count(*) filter (where o.status = 'pending') as pending_count,
        count(*) filter (where o.status in ('paid', 'processing', 'shipped', 'delivered')) as paid_count,
        count(*) filter (where o.status = 'delivered') as delivered_count,
        count(*) filter (where o.status = 'cancelled') as cancelled_count,
        count(*) filter (where o.status = 'refunded') as refunded_count,
        coalesce(
            sum(o.total_amount) filter (where o.status in ('paid', 'processing', 'shipped', 'delivered')), 0
        )::bigint as revenue_amount,
        min(o.placed_at) as first_order_at,
        max(o.placed_at) as last_order_at
    from public.orders as o
    group by o.organization_id, o.currency
) as s;

comment on view public.order_stats is
'Per organisation and currency: orders_count; pending, paid (paid to delivered), delivered, cancelled '
'and refunded counts; revenue_amount (totals of the paid ones, minor units) and their average; first '
'and last order. As the caller may read the orders.';

-- =============================================================================================
-- analytics_daily
-- =============================================================================================

create view public.analytics_daily with (security_invoker = true) as
select
    a.organization_id,
    a.day,
    sum(a.designs_created)::integer as designs_created,
    sum(a.designs_completed)::integer as designs_completed,
    sum(a.orders_placed)::integer as orders_placed,
    coalesce(pg_catalog.jsonb_object_agg(a.currency, a.revenue) filter (where a.currency is not null), '{}'::jsonb)
        as revenue
from (
    select
        d.organization_id,
        (d.created_at at time zone 'UTC')::date as day,
        1 as designs_created,
        (d.status = 'completed')::integer as designs_completed,
        0 as orders_placed,
        null::text as currency,
        null::bigint as revenue
    from public.designs as d
    union all
    select
        o.organization_id,
        (o.placed_at at time zone 'UTC')::date as day,
        0 as designs_created,
        0 as designs_completed,
        1 as orders_placed,
        null::text as currency,
        null::bigint as revenue
    from public.orders as o
    union all
    select
        r.organization_id,
        (r.recorded_at at time zone 'UTC')::date as day,
        0 as designs_created,
        0 as designs_completed,
        0 as orders_placed,
        r.currency,
        sum(r.amount)::bigint as revenue
    from public.revenue_tracking as r
    group by r.organization_id, (r.recorded_at at time zone 'UTC')::date, r.currency
) as a
group by a.organization_id, a.day;

comment on view public.analytics_daily is
'Per organisation and day (UTC): designs created (and of those, completed now), orders placed, and '
'revenue per currency in minor units from revenue_tracking, net of refunds ({"EUR": 129000}). '
'As the caller may read the designs, orders and revenue.';

-- =============================================================================================
-- user_stats
-- =============================================================================================

create view public.user_stats with (security_invoker = true) as
select
    u.organization_id,
    u.user_id,
    sum(u.designs_created)::integer as designs_created,
    sum(u.designs_completed)::integer as designs_completed,
    sum(u.orders_placed)::integer as orders_placed,
    coalesce(pg_catalog.jsonb_object_agg(u.currency, u.spent) filter (where u.currency is not null), '{}'::jsonb)
        as spent,
    max(u.last_active_at) as last_active_at
from (
    select
        d.organization_id,
        d.created_by as user_id,
        count(*) as designs_created,
        count(*) filter (where d.status = 'completed') as designs_completed,
        0 as orders_placed,
        null::text as currency,
        null::bigint as spent,
        max(d.updated_at) as last_active_at
    from public.designs as d
    where d.created_by is not null
    group by d.organization_id, d.created_by
    union all
    select
        o.organization_id,
        o.customer_id as user_id,
        0 as designs_created,
        0 as designs_completed,
        count(*) as orders_placed,
        o.currency,
        coalesce(
            sum(o.total_amount) filter (where o.status in ('paid', 'processing', 'shipped', 'delivered')), 0
        )::bigint as spent,
        max(o.placed_at) as last_active_at
    from public.orders as o
    where o.customer_id is not null
    group by o.organization_id, o.customer_id, o.currency
) as u
group by u.organization_id, u.user_id;

comment on view public.user_stats is
'Per organisation and person: designs they made (and of those, completed), orders they placed as a '
'customer, what they spent per currency on paid orders (minor units, {"EUR": 129000}), when they were '
'last active. As the caller may read the designs and orders.';

-- =============================================================================================
-- grants: read-only, for signed-in callers and the service role
-- =============================================================================================

revoke all on public.orders_with_items, public.order_stats, public.analytics_daily, public.user_stats
from anon, authenticated, service_role;
grant select on public.orders_with_items, public.order_stats, public.analytics_daily, public.user_stats
to authenticated, service_role;
