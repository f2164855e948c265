-- Customers and payment methods: the Stripe events that write public.customers and
-- public.payment_methods, the organisation an event belongs to, and what the Checkout and
-- Billing Portal endpoints ask of the database.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == stripe_organization: whose is this Stripe object? ===========================================

create or replace function private.stripe_organization(object jsonb, customer_id text default null)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
    found_id uuid;
begin
    -- metadata.organization_id, set by Luneo on everything it creates in Stripe; else the customer link
    found_id := private.uuid_or_null(object -> 'metadata' ->> 'organization_id');
    if found_id is not null and exists (select from public.organizations as o where o.id = found_id) then
        return found_id;
    end if;
    select c.organization_id into found_id from public.customers as c
    where c.stripe_customer_id = coalesce(stripe_organization.customer_id, private.stripe_id(object -> 'customer'));
    if found_id is null and object ->> 'object' = 'subscription' then
        select s.organization_id into found_id from public.subscriptions as s
        where s.stripe_subscription_id = object ->> 'id';
    end if;
    return found_id;
end;
$$;

comment on function private.stripe_organization(jsonb, text) is
'The organisation a Stripe object belongs to: its metadata.organization_id, else its customer''s link, else '
'(a subscription) the one it was stored for; null if none.';

create or replace function private.stripe_require_organization(object jsonb)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
    found_id uuid := private.stripe_organization(object);
begin
    if found_id is null then
        -- the customer's link comes with checkout.session.completed or customer.created: the
        -- event fails, and is retried until then
        raise exception 'customer % is not linked to an organisation yet', private.stripe_id(object -> 'customer');
    end if;
    return found_id;
end;
$$;

comment on function private.stripe_require_organization(jsonb) is
'private.stripe_organization, raising (the event is retried) when the object''s customer is not linked yet.';

revoke execute on function private.stripe_organization(jsonb, text), private.stripe_require_organization(jsonb)
from public, anon, authenticated;

-- == customer.created, customer.updated, customer.deleted ========================================

create or replace function private.stripe_customer(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    customer jsonb := event.payload -> 'data' -> 'object';
    organization uuid := private.stripe_organization(customer, customer ->> 'id');
    linked public.customers;
begin
    if organization is null then
        return 'the customer belongs to no organisation (no metadata.organization_id, not linked)';
    end if;
    select c.* into linked from public.customers as c where c.organization_id = organization for update;
    if found and linked.stripe_customer_id <> customer ->> 'id' and linked.deleted_at is null then
        return format('the organisation already has the customer %s', linked.stripe_customer_id);
    end if;
    if not private.stripe_newest(event) then
        return 'superseded: a newer event of this customer was applied';
    end if;
    insert into public.customers as c (organization_id, stripe_customer_id, email, name, default_payment_method, deleted_at)
    values (
        organization, customer ->> 'id', left(customer ->> 'email', 320), left(customer ->> 'name', 500),
        private.stripe_id(customer -> 'invoice_settings' -> 'default_payment_method'),
        case when event.type = 'customer.deleted' or (customer ->> 'deleted')::boolean then event.created_at end
    )
    on conflict (organization_id) do update set
        stripe_customer_id = excluded.stripe_customer_id,
        email = excluded.email,
        name = excluded.name,
        default_payment_method = excluded.default_payment_method,
        deleted_at = excluded.deleted_at,
        updated_at = pg_catalog.now();
    update public.payment_methods as m set
        is_default = (m.stripe_payment_method_id = private.stripe_id(customer -> 'invoice_settings' -> 'default_payment_method'))
    where m.stripe_customer_id = customer ->> 'id';
    return null;
end;
$$;

comment on function private.stripe_customer(private.stripe_events) is
'customer.created/updated/deleted: the organisation''s customer link, contact and default payment method.';

-- == payment_method.attached, payment_method.updated, payment_method.detached ====================

create or replace function private.stripe_payment_method(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    method jsonb := event.payload -> 'data' -> 'object';
    customer_id text := private.stripe_id(method -> 'customer');
    organization uuid;
    card jsonb := method -> 'card';
begin
    if event.type = 'payment_method.detached' or customer_id is null then
        if private.stripe_newest(event) then
            delete from public.payment_methods as m where m.stripe_payment_method_id = method ->> 'id';
            return null;
        end if;
        return 'superseded: a newer event of this payment method was applied';
    end if;
    organization := private.stripe_require_organization(method);
    if not private.stripe_newest(event) then
        return 'superseded: a newer event of this payment method was applied';
    end if;
    insert into public.payment_methods as m (
        stripe_payment_method_id, organization_id, stripe_customer_id, type, brand, last4, exp_month, exp_year, is_default
    )
    values (
        method ->> 'id', organization, customer_id, coalesce(method ->> 'type', 'unknown'),
        coalesce(card ->> 'display_brand', card ->> 'brand'), card ->> 'last4',
        private.stripe_int(card -> 'exp_month'), private.stripe_int(card -> 'exp_year'),
        exists (
            select from public.customers as c
            where c.stripe_customer_id = customer_id and c.default_payment_method = method ->> 'id'
        )
    )
    on conflict (stripe_payment_method_id) do update set
        organization_id = excluded.organization_id,
        stripe_customer_id = excluded.stripe_customer_id,
        type = excluded.type,
        brand = excluded.brand,
        last4 = excluded.last4,
        exp_month = excluded.exp_month,
        exp_year = excluded.exp_year,
        updated_at = pg_catalog.now();
    return null;
end;
$$;

comment on function private.stripe_payment_method(private.stripe_events) is
'payment_method.attached/updated/detached: the organisation''s cards (brand, last 4, expiry). Retried while '
'the customer is not linked yet.';

revoke execute on function private.stripe_customer(private.stripe_events),
private.stripe_payment_method(private.stripe_events) from public, anon, authenticated;

-- == what the Checkout and Billing Portal endpoints ask ==========================================

create or replace function private.billing_context(organization_id uuid)
returns jsonb
language plpgsql
stable
-- definer: reads the customer link whatever the caller's grants; the permission is checked first
security definer
set search_path = ''
as $$
declare
    org public.organizations;
begin
    perform private.require_permission(billing_context.organization_id, 'billing.manage');
    select o.* into org from public.organizations as o where o.id = billing_context.organization_id;
    return jsonb_build_object(
        'organization_id', org.id,
        'organization_name', org.name,
        'plan', org.plan,
        'stripe_customer_id', (
            select c.stripe_customer_id from public.customers as c
            where c.organization_id = org.id and c.deleted_at is null
        ),
        'email', (select u.email from auth.users as u where u.id = (select auth.uid()))
    );
end;
$$;

comment on function private.billing_context(uuid) is 'See public.billing_context.';

revoke execute on function private.billing_context(uuid) from public, anon;
grant execute on function private.billing_context(uuid) to authenticated, service_role;

create or replace function public.billing_context(organization_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select private.billing_context(billing_context.organization_id)
$$;

comment on function public.billing_context(uuid) is
'What opening Stripe Checkout or the Billing Portal needs: the organisation, its Stripe customer (null '
'before the first Checkout) and the caller''s email. Needs billing.manage (aal2 under require_mfa).';

revoke execute on function public.billing_context(uuid) from public, anon;
grant execute on function public.billing_context(uuid) to authenticated, service_role;

create or replace function private.link_stripe_customer(organization_id uuid, stripe_customer_id text)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
    linked text;
begin
    -- the first link wins (two Checkouts opened at once, racing with the same customer: no target,
    -- so a conflict on either unique key is no error); a customer deleted in Stripe is replaced
    insert into public.customers as c (organization_id, stripe_customer_id)
    values (link_stripe_customer.organization_id, link_stripe_customer.stripe_customer_id)
    on conflict do nothing;
    if not found then
        update public.customers as c set
            stripe_customer_id = link_stripe_customer.stripe_customer_id, deleted_at = null, updated_at = pg_catalog.now()
        where c.organization_id = link_stripe_customer.organization_id and c.deleted_at is not null;
    end if;
    select c.stripe_customer_id into linked from public.customers as c
    where c.organization_id = link_stripe_customer.organization_id;
    return linked;
end;
$$;

comment on function private.link_stripe_customer(uuid, text) is
'Links an organisation to the Stripe customer just created for it, unless it has a live one already; '
'returns the customer to use.';

revoke execute on function private.link_stripe_customer(uuid, text) from public, anon, authenticated;
grant execute on function private.link_stripe_customer(uuid, text) to service_role;
