-- Plans and subscriptions: the Stripe events that write public.plans, public.plan_prices and
-- public.subscriptions, and what a subscription changes in its organisation (plan, seat_limit).
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == product.*: plans ============================================================================

create or replace function private.stripe_limit(metadata jsonb, key text)
returns bigint
language plpgsql
immutable
set search_path = ''
as $$
declare
    value text := metadata ->> key;
begin
    -- absent: keep what the plan has; "unlimited" or empty: null; otherwise a whole number
    if value is null then
        return -1;
    elsif value in ('', 'unlimited') then
        return null;
    elsif value !~ '^[0-9]{1,15}$' then
        raise exception using errcode = '22023', message = format('metadata.%s must be a whole number or "unlimited"', key),
            detail = format('got %s', left(value, 100));
    end if;
    return value::bigint;
end;
$$;

comment on function private.stripe_limit(jsonb, text) is
'A plan limit from a Stripe product''s metadata: a number, null for "unlimited", -1 when absent (unchanged).';

create or replace function private.stripe_product(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    product jsonb := event.payload -> 'data' -> 'object';
    metadata jsonb := coalesce(product -> 'metadata', '{}');
    plan_key text := metadata ->> 'luneo_plan';
    new_seats bigint := private.stripe_limit(metadata, 'seats');
    new_designs bigint := private.stripe_limit(metadata, 'designs_per_month');
    new_storage bigint := private.stripe_limit(metadata, 'storage_bytes');
    new_api_calls bigint := private.stripe_limit(metadata, 'api_calls_per_hour');
begin
    -- every product is marked (a price's product is known to be someone else's, not "not yet seen")
    if not private.stripe_newest(event) then
        return 'superseded: a newer event of this product was applied';
    end if;
    if plan_key is null then
        return 'not a Luneo plan (no metadata.luneo_plan)';
    end if;
    insert into public.plans as p (
        id, name, description, stripe_product_id, active, seats, designs_per_month, storage_bytes, api_calls_per_hour
    )
    values (
        plan_key, left(coalesce(product ->> 'name', plan_key), 200), left(product ->> 'description', 2000), product ->> 'id',
        coalesce((product ->> 'active')::boolean, true) and event.type <> 'product.deleted',
        nullif(new_seats, -1), nullif(new_designs, -1), nullif(new_storage, -1), nullif(new_api_calls, -1)
    )
    on conflict (id) do update set
        name = excluded.name,
        description = excluded.description,
        stripe_product_id = excluded.stripe_product_id,
        active = excluded.active,
        seats = case when new_seats = -1 then p.seats else excluded.seats end,
        designs_per_month = case when new_designs = -1 then p.designs_per_month else excluded.designs_per_month end,
        storage_bytes = case when new_storage = -1 then p.storage_bytes else excluded.storage_bytes end,
        api_calls_per_hour = case when new_api_calls = -1 then p.api_calls_per_hour else excluded.api_calls_per_hour end,
        updated_at = pg_catalog.now();
    -- new limits reach the organisations on the plan
    perform private.sync_organization_plan(s.organization_id)
    from (select distinct s.organization_id from public.subscriptions as s where s.plan_id = plan_key) as s;
    return null;
end;
$$;

comment on function private.stripe_product(private.stripe_events) is
'product.created/updated/deleted: a product whose metadata.luneo_plan names a plan is that plan (name, '
'active, limits from metadata seats, designs_per_month, storage_bytes, api_calls_per_hour). Others are ignored.';

-- == price.*: plan prices ========================================================================

create or replace function private.stripe_price(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    price jsonb := event.payload -> 'data' -> 'object';
    product_id text := private.stripe_id(price -> 'product');
    plan_id text;
begin
    select p.id into plan_id from public.plans as p where p.stripe_product_id = product_id;
    if plan_id is null then
        if exists (select from private.stripe_object_versions as v where v.object_id = product_id) then
            return 'the price''s product is not a Luneo plan';
        end if;
        raise exception 'product % not seen yet', product_id;  -- retried: product events may come later
    end if;
    if not private.stripe_newest(event) then
        return 'superseded: a newer event of this price was applied';
    end if;
    insert into public.plan_prices as p (
        stripe_price_id, plan_id, currency, unit_amount, billing_interval, interval_count, lookup_key, active
    )
    values (
        price ->> 'id', plan_id, upper(price ->> 'currency'), private.stripe_int(price -> 'unit_amount'),
        price -> 'recurring' ->> 'interval', private.stripe_int(price -> 'recurring' -> 'interval_count'),
        left(price ->> 'lookup_key', 200),
        coalesce((price ->> 'active')::boolean, true) and event.type <> 'price.deleted'
    )
    on conflict (stripe_price_id) do update set
        plan_id = excluded.plan_id,
        currency = excluded.currency,
        unit_amount = excluded.unit_amount,
        billing_interval = excluded.billing_interval,
        interval_count = excluded.interval_count,
        lookup_key = excluded.lookup_key,
        active = excluded.active,
        updated_at = pg_catalog.now();
    return null;
end;
$$;

comment on function private.stripe_price(private.stripe_events) is
'price.created/updated/deleted: the prices of plans. Retried while the product is unknown; ignored for '
'products that are not plans.';

-- == sync_organization_plan: a subscription sets plan and seat_limit =============================

create or replace function private.sync_organization_plan(organization_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
#variable_conflict use_variable
declare
    live public.subscriptions;
    plan public.plans;
    seats integer;
begin
    -- the newest live subscription with a plan; none: the free plan
    select s.* into live from public.subscriptions as s
    where
        s.organization_id = sync_organization_plan.organization_id
        and s.status in ('trialing', 'active', 'past_due') and s.plan_id is not null
    order by s.started_at desc nulls last, s.created_at desc
    limit 1;
    select p.* into plan from public.plans as p where p.id = coalesce(live.plan_id, 'free');
    -- the seats bought, at least those the plan includes; a plan without a seat limit: unlimited
    seats := case
        when plan.seats is null then 2147483647
        else greatest(plan.seats, coalesce(live.quantity, 0))
    end;
    update public.organizations as o set plan = plan.id, seat_limit = seats
    where o.id = sync_organization_plan.organization_id and (o.plan, o.seat_limit) is distinct from (plan.id, seats);
end;
$$;

comment on function private.sync_organization_plan(uuid) is
'Sets the organisation''s plan and seat_limit from its newest live subscription (trialing, active, past_due): '
'seat_limit is the seats bought, at least the plan''s; without one, the free plan.';

-- == customer.subscription.* =====================================================================

create or replace function private.stripe_subscription(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    subscription jsonb := event.payload -> 'data' -> 'object';
    customer_id text := private.stripe_id(subscription -> 'customer');
    item jsonb := subscription -> 'items' -> 'data' -> 0;
    price_id text := coalesce(private.stripe_id(item -> 'price'), private.stripe_id(subscription -> 'plan'));
    organization uuid;
    plan_id text;
begin
    organization := private.stripe_require_organization(subscription);
    if not private.stripe_newest(event) then
        return 'superseded: a newer event of this subscription was applied';
    end if;
    select p.id into plan_id from public.plans as p
    where p.stripe_product_id = private.stripe_id(item -> 'price' -> 'product');
    if plan_id is null then
        select pp.plan_id into plan_id from public.plan_prices as pp where pp.stripe_price_id = price_id;
    end if;
    insert into public.subscriptions as s (
        organization_id, stripe_subscription_id, stripe_customer_id, plan_id, stripe_price_id, status, quantity,
        currency, current_period_start, current_period_end, trial_start, trial_end, cancel_at_period_end,
        cancel_at, canceled_at, ended_at, started_at
    )
    values (
        organization, subscription ->> 'id', customer_id, plan_id, price_id, subscription ->> 'status',
        coalesce(private.stripe_int(item -> 'quantity'), private.stripe_int(subscription -> 'quantity'), 1),
        upper(subscription ->> 'currency'),
        -- since API version 2025-03-31 the periods are the items'
        private.stripe_time(coalesce(subscription -> 'current_period_start', item -> 'current_period_start')),
        private.stripe_time(coalesce(subscription -> 'current_period_end', item -> 'current_period_end')),
        private.stripe_time(subscription -> 'trial_start'), private.stripe_time(subscription -> 'trial_end'),
        coalesce((subscription ->> 'cancel_at_period_end')::boolean, false),
        private.stripe_time(subscription -> 'cancel_at'), private.stripe_time(subscription -> 'canceled_at'),
        private.stripe_time(subscription -> 'ended_at'),
        private.stripe_time(coalesce(subscription -> 'start_date', subscription -> 'created'))
    )
    on conflict (stripe_subscription_id) do update set
        stripe_customer_id = excluded.stripe_customer_id,
        plan_id = excluded.plan_id,
        stripe_price_id = excluded.stripe_price_id,
        status = excluded.status,
        quantity = excluded.quantity,
        currency = excluded.currency,
        current_period_start = excluded.current_period_start,
        current_period_end = excluded.current_period_end,
        trial_start = excluded.trial_start,
        trial_end = excluded.trial_end,
        cancel_at_period_end = excluded.cancel_at_period_end,
        cancel_at = excluded.cancel_at,
        canceled_at = excluded.canceled_at,
        ended_at = excluded.ended_at,
        started_at = excluded.started_at,
        updated_at = pg_catalog.now();
    perform private.sync_organization_plan(organization);
    return null;
end;
$$;

comment on function private.stripe_subscription(private.stripe_events) is
'customer.subscription.created/updated/deleted/paused/resumed...: the subscription as Stripe last said, and '
'the organisation''s plan and seat_limit. Retried while the customer is not linked yet.';

create or replace function private.stripe_trial_will_end(event private.stripe_events, first boolean)
returns text
language plpgsql
set search_path = ''
as $$
declare
    subscription jsonb := event.payload -> 'data' -> 'object';
    organization uuid := private.stripe_require_organization(subscription);
    plan_name text;
begin
    if not first then
        return 'already notified';
    end if;
    if subscription ->> 'status' <> 'trialing' then
        return 'the subscription is no longer trialing';
    end if;
    select p.name into plan_name from public.plans as p
    where p.stripe_product_id = private.stripe_id(subscription -> 'items' -> 'data' -> 0 -> 'price' -> 'product')
        or p.id = (select s.plan_id from public.subscriptions as s where s.stripe_subscription_id = subscription ->> 'id')
    limit 1;
    perform private.emit_event('billing.trial_ending', organization, jsonb_build_object(
        'subscription', jsonb_build_object(
            'stripe_subscription_id', subscription ->> 'id',
            'plan_name', plan_name,
            'trial_end', private.stripe_time(subscription -> 'trial_end')
        )
    ));
    return null;
end;
$$;

comment on function private.stripe_trial_will_end(private.stripe_events, boolean) is
'customer.subscription.trial_will_end: emits billing.trial_ending once (notification and email to billing readers).';

revoke execute on function private.stripe_limit(jsonb, text), private.stripe_product(private.stripe_events),
private.stripe_price(private.stripe_events), private.sync_organization_plan(uuid),
private.stripe_subscription(private.stripe_events), private.stripe_trial_will_end(private.stripe_events, boolean)
from public, anon, authenticated;

-- == triggers on public.subscriptions ============================================================

create or replace trigger _500_audit after insert or update or delete on public.subscriptions
for each row execute function private.tg_audit();
