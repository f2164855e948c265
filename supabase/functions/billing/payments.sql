-- Payments: the Stripe events about money moving, applied to orders (a brand's customer pays
-- an order through Checkout or a PaymentIntent, Stripe refunds it) and, for Checkout in
-- subscription mode, the organisation's customer link.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Every change here is a step of the order status machine (supabase/functions/commerce/
-- orders.sql), so it happens once whatever the number of events saying it: an order already
-- paid is not paid again, a refund already counted is not counted again.

-- == stripe_order: the order a payment is for ====================================================

create or replace function private.stripe_order(object jsonb, payment_intent_id text default null)
returns public.orders
language plpgsql
set search_path = ''
as $$
declare
    found_order public.orders;
    order_id uuid := coalesce(
        private.uuid_or_null(object -> 'metadata' ->> 'order_id'),
        case when object ->> 'object' = 'checkout.session' then private.uuid_or_null(object ->> 'client_reference_id') end
    );
begin
    -- metadata.order_id (or a Checkout session's client_reference_id), else the Stripe ids recorded on
    -- the order: one indexed lookup each
    if order_id is not null then
        select o.* into found_order from public.orders as o where o.id = order_id for update;
    elsif object ->> 'object' = 'checkout.session' then
        select o.* into found_order from public.orders as o where o.stripe_checkout_session_id = object ->> 'id' for update;
    end if;
    if found_order.id is null and order_id is null and stripe_order.payment_intent_id is not null then
        select o.* into found_order from public.orders as o
        where o.stripe_payment_intent_id = stripe_order.payment_intent_id for update;
    end if;
    return found_order;
end;
$$;

comment on function private.stripe_order(jsonb, text) is
'The order a Stripe object pays (locked): metadata.order_id, a Checkout session''s client_reference_id, '
'or the order holding its session or payment intent id.';

create or replace function private.stripe_pay_order(
    purchase public.orders, amount bigint, currency text, session_id text, payment_intent_id text
)
returns text
language plpgsql
set search_path = ''
as $$
begin
    if purchase.status = 'cancelled' then
        return format('order %s is cancelled: refund this payment in Stripe', purchase.order_number);
    end if;
    if amount is distinct from purchase.total_amount or upper(stripe_pay_order.currency) <> purchase.currency then
        -- never mark an order paid for another sum: visible as a failed event
        raise exception 'order % costs % %, Stripe received % %', purchase.order_number, purchase.total_amount,
            purchase.currency, amount, upper(stripe_pay_order.currency);
    end if;
    update public.orders as o set
        status = case when o.status = 'pending' then 'paid' else o.status end,
        stripe_checkout_session_id = coalesce(o.stripe_checkout_session_id, stripe_pay_order.session_id),
        stripe_payment_intent_id = coalesce(o.stripe_payment_intent_id, stripe_pay_order.payment_intent_id),
        payment_failed_at = null,
        payment_error = null
    where o.id = purchase.id;
    return null;
end;
$$;

comment on function private.stripe_pay_order(public.orders, bigint, text, text, text) is
'Marks a pending order paid (once) after checking Stripe received its total in its currency; records the Stripe ids.';

create or replace function private.stripe_fail_order(
    purchase public.orders, failed_at timestamptz, error text, session_id text, payment_intent_id text
)
returns text
language plpgsql
set search_path = ''
as $$
begin
    if purchase.status <> 'pending' then
        return format('order %s is %s: a failed attempt changes nothing', purchase.order_number, purchase.status);
    end if;
    update public.orders as o set
        payment_failed_at = greatest(o.payment_failed_at, stripe_fail_order.failed_at),
        payment_error = left(coalesce(stripe_fail_order.error, 'the payment failed'), 1000),
        stripe_checkout_session_id = coalesce(o.stripe_checkout_session_id, stripe_fail_order.session_id),
        stripe_payment_intent_id = coalesce(o.stripe_payment_intent_id, stripe_fail_order.payment_intent_id)
    where o.id = purchase.id;
    return null;
end;
$$;

comment on function private.stripe_fail_order(public.orders, timestamptz, text, text, text) is
'Records a failed payment on a pending order (it stays pending: the customer may pay again).';

-- == checkout.session.completed, async_payment_succeeded, async_payment_failed ===================

create or replace function private.stripe_checkout_session(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    session jsonb := event.payload -> 'data' -> 'object';
    payment_intent_id text := private.stripe_id(session -> 'payment_intent');
    customer_id text := private.stripe_id(session -> 'customer');
    organization uuid;
    purchase public.orders;
begin
    if session ->> 'mode' = 'subscription' or session ->> 'mode' = 'setup' then
        -- Luneo's own Checkout (billing endpoints): client_reference_id is the organisation
        organization := coalesce(
            private.uuid_or_null(session -> 'metadata' ->> 'organization_id'),
            private.uuid_or_null(session ->> 'client_reference_id')
        );
        if organization is null or customer_id is null
            or not exists (select from public.organizations as o where o.id = organization) then
            return 'a subscription Checkout without a Luneo organisation or customer';
        end if;
        perform private.link_stripe_customer(organization, customer_id);
        return null;
    end if;
    purchase := private.stripe_order(session, payment_intent_id);
    if purchase.id is null then
        return 'no order for this Checkout session';
    end if;
    if event.type = 'checkout.session.async_payment_failed' then
        return private.stripe_fail_order(
            purchase, event.created_at, 'the delayed payment failed', session ->> 'id', payment_intent_id
        );
    end if;
    if session ->> 'payment_status' not in ('paid', 'no_payment_required') then
        -- a delayed method (SEPA debit...): async_payment_succeeded or _failed follows
        update public.orders as o set
            stripe_checkout_session_id = coalesce(o.stripe_checkout_session_id, session ->> 'id'),
            stripe_payment_intent_id = coalesce(o.stripe_payment_intent_id, payment_intent_id)
        where o.id = purchase.id;
        return null;
    end if;
    return private.stripe_pay_order(
        purchase, private.stripe_int(session -> 'amount_total'), session ->> 'currency', session ->> 'id', payment_intent_id
    );
end;
$$;

comment on function private.stripe_checkout_session(private.stripe_events) is
'checkout.session.*: a paid session pays its order (once; the amount must be the order''s total); a failed '
'delayed payment is recorded on the order; a subscription session links the organisation to its customer.';

-- == payment_intent.succeeded, payment_intent.payment_failed =====================================

create or replace function private.stripe_payment_intent(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    intent jsonb := event.payload -> 'data' -> 'object';
    purchase public.orders := private.stripe_order(intent, intent ->> 'id');
begin
    if purchase.id is null then
        return 'no order for this payment intent';
    end if;
    if event.type = 'payment_intent.payment_failed' then
        return private.stripe_fail_order(
            purchase, event.created_at, intent -> 'last_payment_error' ->> 'message', null, intent ->> 'id'
        );
    end if;
    return private.stripe_pay_order(
        purchase, private.stripe_int(intent -> 'amount_received'), intent ->> 'currency', null, intent ->> 'id'
    );
end;
$$;

comment on function private.stripe_payment_intent(private.stripe_events) is
'payment_intent.succeeded pays its order (once; amount_received must be the total); payment_failed records '
'the failure on a pending order.';

-- == charge.refunded: full and partial refunds ===================================================

create or replace function private.stripe_charge_refunded(event private.stripe_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
    charge jsonb := event.payload -> 'data' -> 'object';
    purchase public.orders := private.stripe_order(charge, private.stripe_id(charge -> 'payment_intent'));
    refunded bigint;
begin
    if purchase.id is null then
        return 'no order for this charge';
    end if;
    if purchase.status in ('pending', 'cancelled') then
        return format('order %s is %s: nothing to refund', purchase.order_number, purchase.status);
    end if;
    -- amount_refunded is the charge's running total: the same event twice, or an older one, adds nothing
    refunded := least(coalesce(private.stripe_int(charge -> 'amount_refunded'), 0), purchase.total_amount);
    if refunded <= purchase.amount_refunded then
        return null;
    end if;
    if refunded = purchase.total_amount or coalesce((charge ->> 'refunded')::boolean, false) then
        -- in full: the order's refund (-total) is recorded by its trigger; partial refunds already
        -- recorded as adjustments are given back so the ledger nets to zero
        if purchase.amount_refunded > 0 then
            insert into public.revenue_tracking (organization_id, order_id, kind, amount, currency, description)
            values (
                purchase.organization_id, purchase.id, 'adjustment', purchase.amount_refunded, purchase.currency,
                format('partial refunds of %s, now refunded in full', purchase.order_number)
            );
        end if;
        -- the status machine's restock rule applies: goods not yet shipped go back in stock
        update public.orders as o set amount_refunded = o.total_amount, status = 'refunded' where o.id = purchase.id;
        return null;
    end if;
    -- in part: the order keeps its status and stock; the ledger gets the difference
    insert into public.revenue_tracking (organization_id, order_id, kind, amount, currency, description)
    values (
        purchase.organization_id, purchase.id, 'adjustment', -(refunded - purchase.amount_refunded), purchase.currency,
        format('partial refund of %s', purchase.order_number)
    );
    update public.orders as o set amount_refunded = refunded where o.id = purchase.id;
    return null;
end;
$$;

comment on function private.stripe_charge_refunded(private.stripe_events) is
'charge.refunded: in full, the order becomes refunded (restocked when not shipped yet, as the status machine '
'says); in part, amount_refunded grows and the revenue ledger gets an adjustment of the difference.';

revoke execute on function private.stripe_order(jsonb, text),
private.stripe_pay_order(public.orders, bigint, text, text, text),
private.stripe_fail_order(public.orders, timestamptz, text, text, text),
private.stripe_checkout_session(private.stripe_events), private.stripe_payment_intent(private.stripe_events),
private.stripe_charge_refunded(private.stripe_events) from public, anon, authenticated;
