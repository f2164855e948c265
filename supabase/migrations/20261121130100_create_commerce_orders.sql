-- create commerce orders
--
-- Purpose: orders a customer (or a brand's server, with an API key) places through
--          place_order(): a human order number (LUN-<year>-<6+ digits>, from a sequence,
--          gap-tolerant, unique), the amounts in minor units (subtotal - discount + tax +
--          shipping = total, checked), the Stripe ids, an idempotency key unique per customer
--          (or per API key), the status machine pending -> paid -> processing -> shipped ->
--          delivered plus cancelled and refunded (enforced by trigger, supabase/functions/commerce/
--          orders.sql); the items with their price snapshot; the status history, written by
--          trigger only; VAT rates per country (basis points, EU standard rates seeded); a flat
--          shipping amount per organisation and currency; discount codes (percent or amount, a
--          validity window, overall and per-customer limits, counted atomically).
--          Existing orders are kept: their subtotal becomes their total, they get an order number
--          in the year they were placed; the new bounds on their text and JSON columns are added
--          `not valid` (checked on every new write, not on the rows already there).
-- Touches: table public.orders (new columns, status check, constraints, indexes, grants);
--          tables public.order_items, public.order_status_history, public.tax_rates,
--          public.shipping_rates, public.discount_codes (and orders.discount_code_id);
--          sequence private.order_number_seq; function private.next_order_number.
-- Destructive: no (the status check is replaced by a wider one).

-- Until this migration orders were written only by the service role (no placement existed), so
-- the table is small: validating and indexing it in this transaction is brief, and keeps the
-- backfill and its checks atomic.
-- luneo-lint: ignore-file adding-required-constraint, require-concurrent-index   small table, see above

-- =============================================================================================
-- order numbers
-- =============================================================================================

create sequence private.order_number_seq as bigint;

comment on sequence private.order_number_seq is
'Order numbers (LUN-<year>-<n>): nextval never rolls back, so numbers may have gaps.';

create function private.next_order_number(at timestamptz default now())
returns text
language sql
volatile
-- definer: the orders.order_number default, evaluated as whoever inserts (service role included)
security definer
set search_path = ''
as $$
    select 'LUN-' || to_char(next_order_number.at at time zone 'UTC', 'YYYY') || '-'
        || lpad(nextval('private.order_number_seq')::text, 6, '0')
$$;

comment on function private.next_order_number(timestamptz) is
'The next order number, LUN-<year>-<at least 6 digits>: gap-tolerant (a rolled-back order consumes its number).';

revoke execute on function private.next_order_number(timestamptz) from public, anon, authenticated;
grant execute on function private.next_order_number(timestamptz) to service_role;

-- =============================================================================================
-- orders: the new columns
-- =============================================================================================

alter table public.orders
add column order_number text,
add column subtotal_amount bigint,
add column discount_amount bigint not null default 0,
add column tax_amount bigint not null default 0,
add column shipping_amount bigint not null default 0,
add column tax_rate_bp integer not null default 0,
add column api_key_id uuid references public.api_keys (id) on delete set null,
add column idempotency_key text,
add column stripe_payment_intent_id text,
add column stripe_checkout_session_id text;

-- existing orders: a number in the year they were placed; their total is their subtotal
update public.orders as o set
    order_number = private.next_order_number(o.placed_at),
    subtotal_amount = o.total_amount
where o.order_number is null;

alter table public.orders
alter column order_number set default private.next_order_number(),
alter column order_number set not null,
-- no default: a writer giving only total_amount gets subtotal derived (trigger _100_derive_subtotal)
alter column subtotal_amount set not null,
add constraint orders_order_number_key unique (order_number),
add constraint orders_amounts_check check (
    subtotal_amount between 0 and 10000000000000
    and discount_amount between 0 and subtotal_amount
    and tax_amount between 0 and 10000000000000
    and shipping_amount between 0 and 10000000000000
    and total_amount = subtotal_amount - discount_amount + tax_amount + shipping_amount
),
add constraint orders_tax_rate_bp_check check (tax_rate_bp between 0 and 10000),
drop constraint orders_status_check,
add constraint orders_status_check check (
    status in ('pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded')
),
add constraint orders_idempotency_key_check
check (private.check_text(idempotency_key, 'idempotency_key', 100, 1, '^[A-Za-z0-9_.:-]+$')),
add constraint orders_stripe_payment_intent_id_check
check (private.check_text(stripe_payment_intent_id, 'stripe_payment_intent_id', 255, 1, '^[A-Za-z0-9_]+$')),
add constraint orders_stripe_checkout_session_id_check
check (private.check_text(stripe_checkout_session_id, 'stripe_checkout_session_id', 255, 1, '^[A-Za-z0-9_]+$')),
add constraint orders_stripe_payment_intent_id_key unique (stripe_payment_intent_id),
add constraint orders_stripe_checkout_session_id_key unique (stripe_checkout_session_id);

-- bounds on the columns that existed: new writes only, rows already there are not re-read
alter table public.orders
-- the address as given (older writers kept its case); place_order() checks it with private.check_email
add constraint orders_customer_email_check check (private.check_text(customer_email, 'customer_email', 320)) not valid,
add constraint orders_customer_name_check check (private.check_text(customer_name, 'customer_name', 200)) not valid,
add constraint orders_shipping_address_check
check (private.check_json_object(shipping_address, 'shipping_address', 4096)) not valid;

comment on column public.orders.order_number is 'Human number, LUN-<year>-<at least 6 digits>; unique, gap-tolerant.';
comment on column public.orders.total_amount is
'subtotal_amount - discount_amount + tax_amount + shipping_amount (checked).';
comment on column public.orders.idempotency_key is
'The client''s retry key: one order per (organisation, customer or API key, key).';
comment on column public.orders.api_key_id is 'The API key that placed the order (server-to-server), if any.';

-- idempotency: unique per customer, or per API key for server-placed orders
create unique index orders_customer_idempotency_key_idx
on public.orders (customer_id, organization_id, idempotency_key)
where idempotency_key is not null and customer_id is not null;
create unique index orders_api_key_idempotency_key_idx on public.orders (api_key_id, idempotency_key)
where idempotency_key is not null and api_key_id is not null and customer_id is null;
create index orders_api_key_id_idx on public.orders (api_key_id);
-- the customer's own listing, newest first (policy "customers can read their own orders")
drop index public.orders_customer_id_idx;
create index orders_customer_id_idx on public.orders (customer_id, placed_at desc);
-- the brand's listing by status, newest first
create index orders_organization_id_status_idx on public.orders (organization_id, status, placed_at desc);

-- members with orders.manage change the status (the state machine decides which changes are allowed)
grant update (status) on public.orders to authenticated;

-- =============================================================================================
-- order items
-- =============================================================================================

create table public.order_items (
    id uuid primary key default gen_random_uuid(),
    order_id uuid not null references public.orders (id) on delete cascade,
    organization_id uuid not null,
    product_id uuid not null,
    -- no foreign key yet: designs are built in parallel; the designs migration adds
    -- order_items_design_id_fkey (organization_id, design_id) once public.designs exists
    design_id uuid,
    sku text not null,
    name text not null,
    unit_price_amount bigint not null check (unit_price_amount between 0 and 100000000000),
    quantity integer not null check (quantity between 1 and 1000),
    line_total_amount bigint not null,
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    customisation jsonb not null default '{}' constraint order_items_customisation_check
    check (private.check_json_object(customisation, 'customisation', 16384)),
    created_at timestamptz not null default now(),
    -- the product belongs to the order's organisation
    foreign key (organization_id, product_id) references public.products (organization_id, id),
    check (line_total_amount = unit_price_amount * quantity)
);

comment on table public.order_items is
'The lines of an order, written by place_order(): the product''s sku, name and price at the time '
'(a snapshot), the quantity, the customer''s customisation (checked against the product''s schema). '
'Readable with their order.';

create index order_items_order_id_idx on public.order_items (order_id);
create index order_items_organization_id_product_id_idx on public.order_items (organization_id, product_id);
create index order_items_design_id_idx on public.order_items (design_id);

alter table public.order_items enable row level security;
revoke all on public.order_items from anon, authenticated;
grant select on public.order_items to authenticated;
grant all on public.order_items to service_role;

-- =============================================================================================
-- order status history
-- =============================================================================================

create table public.order_status_history (
    id bigint generated always as identity primary key,
    order_id uuid not null references public.orders (id) on delete cascade,
    organization_id uuid not null,
    from_status text,
    to_status text not null,
    changed_by uuid references auth.users (id) on delete set null,
    changed_by_role text,
    changed_at timestamptz not null default now()
);

comment on table public.order_status_history is
'Every status an order took (from null at creation), who set it and when; written by trigger only.';

create index order_status_history_order_id_idx on public.order_status_history (order_id, changed_at);
create index order_status_history_changed_by_idx on public.order_status_history (changed_by);

alter table public.order_status_history enable row level security;
-- append-only: only the trigger (owner) writes
revoke all on public.order_status_history from anon, authenticated, service_role;
grant select on public.order_status_history to authenticated, service_role;

-- history of the orders that existed
insert into public.order_status_history (order_id, organization_id, from_status, to_status, changed_at)
select
    o.id,
    o.organization_id,
    null as from_status,
    o.status,
    o.placed_at
from public.orders as o;

-- =============================================================================================
-- tax rates
-- =============================================================================================

create table public.tax_rates (
    country_code text primary key check (country_code ~ '^[A-Z]{2}$'),
    rate_bp integer not null check (rate_bp between 0 and 10000),
    name text not null constraint tax_rates_name_check check (private.check_text(name, 'name', 80, 1)),
    updated_at timestamptz not null default now()
);

comment on table public.tax_rates is
'Tax (VAT) rate per destination country in basis points (2000 = 20%), applied by place_order() to '
'the subtotal after discount. Readable by everyone; written by the service role.';

alter table public.tax_rates enable row level security;
revoke all on public.tax_rates from anon, authenticated;
grant select on public.tax_rates to anon, authenticated;
grant all on public.tax_rates to service_role;

-- EU VAT standard rates (2026)
insert into public.tax_rates (country_code, rate_bp, name) values
('AT', 2000, 'VAT'), ('BE', 2100, 'VAT'), ('BG', 2000, 'VAT'), ('HR', 2500, 'VAT'), ('CY', 1900, 'VAT'),
('CZ', 2100, 'VAT'), ('DK', 2500, 'VAT'), ('EE', 2400, 'VAT'), ('FI', 2550, 'VAT'), ('FR', 2000, 'TVA'),
('DE', 1900, 'MwSt'), ('GR', 2400, 'VAT'), ('HU', 2700, 'VAT'), ('IE', 2300, 'VAT'), ('IT', 2200, 'IVA'),
('LV', 2100, 'VAT'), ('LT', 2100, 'VAT'), ('LU', 1700, 'TVA'), ('MT', 1800, 'VAT'), ('NL', 2100, 'BTW'),
('PL', 2300, 'VAT'), ('PT', 2300, 'IVA'), ('RO', 2100, 'VAT'), ('SK', 2300, 'VAT'), ('SI', 2200, 'VAT'),
('ES', 2100, 'IVA'), ('SE', 2500, 'VAT');

-- =============================================================================================
-- shipping rates
-- =============================================================================================

create table public.shipping_rates (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    amount bigint not null check (amount between 0 and 100000000000),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (organization_id, currency)
);

comment on table public.shipping_rates is
'A brand''s flat shipping amount per currency (minor units), added to every order place_order() '
'makes in that currency (0 without a row). Readable by everyone (the storefront shows it); written '
'with products.manage.';

alter table public.shipping_rates enable row level security;
revoke all on public.shipping_rates from anon, authenticated;
grant select on public.shipping_rates to anon, authenticated;
grant insert (id, organization_id, currency, amount) on public.shipping_rates to authenticated;
grant update (amount) on public.shipping_rates to authenticated;
grant delete on public.shipping_rates to authenticated;
grant all on public.shipping_rates to service_role;

-- =============================================================================================
-- discount codes
-- =============================================================================================

create table public.discount_codes (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    code text not null constraint discount_codes_code_check
    check (private.check_text(code, 'code', 40, 3, '^[A-Z0-9_-]+$')),
    kind text not null check (kind in ('percent', 'amount')),
    percent_bp integer check (percent_bp between 1 and 10000),
    amount bigint check (amount between 1 and 100000000000),
    currency text check (currency ~ '^[A-Z]{3}$'),
    valid_from timestamptz,
    valid_until timestamptz,
    max_uses integer check (max_uses between 1 and 1000000000),
    max_uses_per_customer integer check (max_uses_per_customer between 1 and 1000000),
    uses integer not null default 0 check (uses >= 0),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (organization_id, code),
    check (
        (kind = 'percent' and percent_bp is not null and amount is null and currency is null)
        or (kind = 'amount' and amount is not null and currency is not null and percent_bp is null)
    ),
    check (valid_until > valid_from)
);

comment on table public.discount_codes is
'A brand''s discount codes: a percentage (basis points) or an amount in a currency, off the '
'subtotal; a validity window; limits overall (max_uses, counted in uses by place_order, never '
'beyond) and per customer. Managed with orders.manage.';
comment on column public.discount_codes.uses is
'Orders placed with the code and not cancelled; written by place_order() and the cancel trigger only.';

alter table public.discount_codes enable row level security;
revoke all on public.discount_codes from anon, authenticated;
grant select on public.discount_codes to authenticated;
grant insert (
    id, organization_id, code, kind, percent_bp, amount, currency, valid_from, valid_until, max_uses,
    max_uses_per_customer, active
) on public.discount_codes to authenticated;
grant update (
    percent_bp, amount, currency, valid_from, valid_until, max_uses, max_uses_per_customer, active
) on public.discount_codes to authenticated;
grant delete on public.discount_codes to authenticated;
grant all on public.discount_codes to service_role;

alter table public.orders add column discount_code_id uuid references public.discount_codes (id) on delete set null;

comment on column public.orders.discount_code_id is 'The discount code applied, if any.';

create index orders_discount_code_id_idx on public.orders (discount_code_id, customer_id);
