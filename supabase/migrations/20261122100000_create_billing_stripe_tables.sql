-- create billing stripe tables
--
-- Purpose: Stripe billing. Stripe is the source of truth; these tables are what its webhook
--          events last said, applied by SQL (supabase/functions/billing/): the Stripe inbox
--          private.stripe_events (one row per event id: duplicates are no-ops), the per-object
--          high-water marks that keep an older event from overwriting newer state, the plans
--          (from Stripe products carrying metadata.luneo_plan) with their limits and prices,
--          the organisation <-> Stripe customer link, subscriptions, payment methods, usage
--          counters, and the Stripe columns of invoices and orders. Organisations' plan becomes
--          a reference to public.plans; admins and owners get the new permission billing.manage
--          (open Checkout and the Billing Portal).
-- Touches: tables private.stripe_events, private.stripe_object_versions, public.plans,
--          public.plan_prices, public.customers, public.subscriptions, public.payment_methods,
--          public.usage_metrics (new); public.organizations (plan check -> foreign key);
--          public.invoices and public.orders (new nullable or defaulted columns);
--          private.permissions, private.role_permissions, private.event_types,
--          private.audited_tables (new rows).
-- Destructive: no. The plan check is replaced by a foreign key to plans holding the same four ids.
--          The checks of the new invoices and orders columns are validated by the next migration.

-- =============================================================================================
-- the Stripe inbox
-- =============================================================================================

create table private.stripe_events (
    id text primary key check (id ~ '^evt_[A-Za-z0-9_]{1,250}$'),
    type text not null check (type ~ '^[a-z0-9_.]{1,100}$'),
    -- data.object.id: the object the event is about (null for the rare event without one)
    object_id text check (char_length(object_id) <= 255),
    livemode boolean not null,
    api_version text check (char_length(api_version) <= 40),
    -- event.created: when Stripe made the event (seconds)
    created_at timestamptz not null,
    payload jsonb not null,
    received_at timestamptz not null default now(),
    status text not null default 'pending' check (status in ('pending', 'applied', 'ignored', 'failed')),
    attempts integer not null default 0 check (attempts >= 0),
    -- when it is due; while leased, the lease's end (a killed worker's event becomes due again)
    next_attempt_at timestamptz default now(),
    leased_by text,
    last_error text check (char_length(last_error) <= 2000),
    -- why it was ignored (unknown type, not Luneo's, older than the state already applied)
    note text check (char_length(note) <= 1000),
    -- the first successful application: one-off effects (notifications) happen then only
    applied_at timestamptz,
    check ((status = 'pending') = (next_attempt_at is not null))
);

comment on table private.stripe_events is
'The Stripe inbox: every verified webhook event, stored before Stripe gets its 2xx, applied once by '
'private.apply_stripe_event (the stripe worker of `luneo worker run`). Never exposed.';

create index stripe_events_due_idx on private.stripe_events (next_attempt_at, created_at)
where next_attempt_at is not null;
create index stripe_events_received_at_idx on private.stripe_events (received_at);
create index stripe_events_failed_idx on private.stripe_events (received_at) where status = 'failed';

create table private.stripe_object_versions (
    object_id text primary key,
    event_created timestamptz not null,
    event_rank smallint not null,
    event_id text not null
);

comment on table private.stripe_object_versions is
'Per Stripe object, the newest event whose state was applied, as (created, rank of its type, event id): '
'an event ordering before it changes nothing (private.stripe_newest).';

revoke all on private.stripe_events, private.stripe_object_versions from public, anon, authenticated;
grant all on private.stripe_events, private.stripe_object_versions to service_role;

-- =============================================================================================
-- plans and prices
-- =============================================================================================

create table public.plans (
    id text primary key check (id ~ '^[a-z][a-z0-9_]{0,39}$'),
    name text not null check (char_length(name) between 1 and 200),
    description text check (char_length(description) <= 2000),
    stripe_product_id text unique check (char_length(stripe_product_id) <= 255),
    active boolean not null default true,
    -- limits; null is unlimited
    seats integer check (seats > 0),
    designs_per_month integer check (designs_per_month >= 0),
    storage_bytes bigint check (storage_bytes >= 0),
    api_calls_per_hour integer check (api_calls_per_hour > 0),
    sort_order integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.plans is
'What an organisation can subscribe to, with its limits (null: unlimited). Kept in step with the Stripe '
'products whose metadata.luneo_plan names the plan. Readable by everyone (pricing pages).';

insert into public.plans (id, name, seats, designs_per_month, storage_bytes, api_calls_per_hour, sort_order) values
('free', 'Free', 5, 50, 1073741824, 1000, 0),
('starter', 'Starter', 10, 500, 10737418240, 10000, 10),
('pro', 'Pro', 50, 5000, 107374182400, 100000, 20),
('enterprise', 'Enterprise', null, null, null, null, 30);

create table public.plan_prices (
    stripe_price_id text primary key check (char_length(stripe_price_id) <= 255),
    plan_id text not null references public.plans (id) on delete cascade,
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    -- minor units; null for tiered or metered prices
    unit_amount bigint check (unit_amount >= 0),
    -- null for a one-time price
    billing_interval text check (billing_interval in ('day', 'week', 'month', 'year')),
    interval_count integer check (interval_count > 0),
    lookup_key text check (char_length(lookup_key) <= 200),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.plan_prices is
'The Stripe prices of each plan (what Checkout can be opened with). Readable by everyone.';

create index plan_prices_plan_id_idx on public.plan_prices (plan_id);

alter table public.plans enable row level security;
alter table public.plan_prices enable row level security;
revoke all on public.plans, public.plan_prices from anon, authenticated;
grant select on public.plans, public.plan_prices to anon, authenticated;
grant all on public.plans, public.plan_prices to service_role;

-- organisations: the plan is one of the plans
alter table public.organizations
drop constraint organizations_plan_check,
add constraint organizations_plan_fkey foreign key (plan) references public.plans (id) not valid;

alter table public.organizations validate constraint organizations_plan_fkey;

-- =============================================================================================
-- customers, subscriptions, payment methods
-- =============================================================================================

create table public.customers (
    organization_id uuid primary key references public.organizations (id) on delete cascade,
    stripe_customer_id text not null unique check (stripe_customer_id ~ '^cus_[A-Za-z0-9]{1,250}$'),
    email text check (char_length(email) <= 320),
    name text check (char_length(name) <= 500),
    default_payment_method text check (char_length(default_payment_method) <= 255),
    -- deleted in Stripe: the next Checkout creates a new customer
    deleted_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.customers is
'The Stripe customer of each organisation (written by billing). Readable with billing.read.';

create table public.subscriptions (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    stripe_subscription_id text not null unique check (stripe_subscription_id ~ '^sub_[A-Za-z0-9]{1,250}$'),
    stripe_customer_id text not null check (char_length(stripe_customer_id) <= 255),
    -- null when the price is not one of a plan's
    plan_id text references public.plans (id),
    stripe_price_id text check (char_length(stripe_price_id) <= 255),
    status text not null check (
        status in ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')
    ),
    -- seats bought
    quantity integer not null default 1 check (quantity >= 0),
    currency text check (currency ~ '^[A-Z]{3}$'),
    current_period_start timestamptz,
    current_period_end timestamptz,
    trial_start timestamptz,
    trial_end timestamptz,
    cancel_at_period_end boolean not null default false,
    cancel_at timestamptz,
    canceled_at timestamptz,
    ended_at timestamptz,
    started_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.subscriptions is
'Organisations'' Stripe subscriptions, as their newest event said (written by billing). The newest live '
'one (trialing, active, past_due) sets organizations.plan and seat_limit. Readable with billing.read.';

create index subscriptions_organization_id_idx on public.subscriptions (organization_id, created_at desc);
create index subscriptions_plan_id_idx on public.subscriptions (plan_id);

create table public.payment_methods (
    stripe_payment_method_id text primary key check (char_length(stripe_payment_method_id) <= 255),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    stripe_customer_id text not null check (char_length(stripe_customer_id) <= 255),
    type text not null check (char_length(type) <= 60),
    brand text check (char_length(brand) <= 60),
    last4 text check (last4 ~ '^[0-9]{4}$'),
    exp_month integer check (exp_month between 1 and 12),
    exp_year integer check (exp_year between 2000 and 2200),
    is_default boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.payment_methods is
'Payment methods attached to an organisation''s Stripe customer (card brand, last 4 digits, expiry: '
'never the number). Written by billing; readable with billing.read.';

create index payment_methods_organization_id_idx on public.payment_methods (organization_id);

create table public.usage_metrics (
    organization_id uuid not null references public.organizations (id) on delete cascade,
    metric text not null check (metric in ('designs')),
    -- the period counted: a month, from its first instant (UTC)
    period_start timestamptz not null,
    value bigint not null default 0 check (value >= 0),
    updated_at timestamptz not null default now(),
    primary key (organization_id, metric, period_start)
);

comment on table public.usage_metrics is
'Usage counted against the plan''s limits, per organisation, metric and period (designs created per '
'month). Written by trigger; readable with billing.read. public.organization_usage() gives every limit.';

alter table public.customers enable row level security;
alter table public.subscriptions enable row level security;
alter table public.payment_methods enable row level security;
alter table public.usage_metrics enable row level security;
revoke all on public.customers, public.subscriptions, public.payment_methods, public.usage_metrics
from anon, authenticated;
grant select on public.customers, public.subscriptions, public.payment_methods, public.usage_metrics
to authenticated;
grant all on public.customers, public.subscriptions, public.payment_methods, public.usage_metrics
to service_role;

-- =============================================================================================
-- invoices and orders: their Stripe columns
-- =============================================================================================

-- the new columns' checks are added `not valid` (new writes only: existing rows hold nulls and
-- zeros, which pass) and validated by the next migration, without blocking writes
alter table public.invoices
add column stripe_customer_id text,
add column stripe_subscription_id text,
add column subtotal bigint,
add column tax bigint,
add column total bigint,
add column amount_paid bigint not null default 0,
add column amount_remaining bigint not null default 0,
add column hosted_invoice_url text,
add column invoice_pdf text,
add column period_start timestamptz,
add column period_end timestamptz,
add column due_at timestamptz,
add column paid_at timestamptz,
add column attempt_count integer not null default 0,
add column updated_at timestamptz not null default now();

alter table public.invoices
add constraint invoices_stripe_customer_id_check check (char_length(stripe_customer_id) <= 255) not valid,
add constraint invoices_stripe_subscription_id_check check (char_length(stripe_subscription_id) <= 255) not valid,
add constraint invoices_amount_paid_check check (amount_paid >= 0) not valid,
add constraint invoices_amount_remaining_check check (amount_remaining >= 0) not valid,
add constraint invoices_hosted_invoice_url_check check (char_length(hosted_invoice_url) <= 2000) not valid,
add constraint invoices_invoice_pdf_check check (char_length(invoice_pdf) <= 2000) not valid,
add constraint invoices_attempt_count_check check (attempt_count >= 0) not valid;

comment on column public.invoices.hosted_invoice_url is 'Stripe''s page where the invoice can be seen and paid.';
comment on column public.invoices.invoice_pdf is 'The invoice''s PDF, served by Stripe.';

alter table public.orders
add column amount_refunded bigint not null default 0,
add column payment_failed_at timestamptz,
add column payment_error text;

alter table public.orders
add constraint orders_amount_refunded_check check (amount_refunded >= 0) not valid,
add constraint orders_payment_error_check check (char_length(payment_error) <= 1000) not valid;

comment on column public.orders.amount_refunded is
'Minor units refunded through Stripe so far (charge.refunded); the whole total once refunded.';
comment on column public.orders.payment_failed_at is
'When Stripe last reported the payment failed (the order stays pending: the customer may pay again).';

-- =============================================================================================
-- catalogues: permission, events, audit
-- =============================================================================================

insert into private.permissions (name, description, requires_mfa, owner_only) values
('billing.manage', 'Change the plan and payment methods (Stripe Checkout and Billing Portal)', true, false);

insert into private.role_permissions (role, permission) values
('owner', 'billing.manage'),
('admin', 'billing.manage');

insert into private.event_types (name, description) values
('billing.payment_failed', 'A payment of one of the organisation''s Luneo invoices failed.'),
('billing.trial_ending', 'The organisation''s trial ends in three days.');

insert into private.audited_tables (table_name, read_permission) values
('subscriptions', 'billing.read');
