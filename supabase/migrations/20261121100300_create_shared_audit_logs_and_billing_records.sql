-- create audit logs and billing records
--
-- Purpose: the append-only audit log written by private.tg_audit(), and the two records GDPR
--          erasure must keep but anonymise: orders (a brand's customers) and invoices (what Luneo
--          bills a brand). Both are written by the service role here; later migrations add the
--          order placement and Stripe billing logic on top of them.
-- Touches: tables public.audit_logs, public.orders, public.invoices.
-- Destructive: no.

-- =============================================================================================
-- audit logs
-- =============================================================================================

create table public.audit_logs (
    id bigint generated always as identity primary key,
    -- no foreign key: the trail outlives the organisation (its deletion is the last entry)
    organization_id uuid,
    actor_id uuid references auth.users (id) on delete set null,
    actor_role text,
    table_name text not null,
    record_id text,
    operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
    old_values jsonb,
    new_values jsonb,
    ip_address inet,
    user_agent text,
    created_at timestamptz not null default now()
);

comment on table public.audit_logs is
'Append-only trail of changes to sensitive tables (private.tg_audit): who, from where, which '
'columns went from what to what (secrets redacted). Readable by org admins; nobody can edit it.';

create index audit_logs_organization_id_idx on public.audit_logs (organization_id, created_at desc);
create index audit_logs_actor_id_idx on public.audit_logs (actor_id);

alter table public.audit_logs enable row level security;
-- append-only: only the trigger (owner) inserts; even the service role can only read
revoke all on public.audit_logs from anon, authenticated, service_role;
grant select on public.audit_logs to authenticated, service_role;

-- =============================================================================================
-- orders (customer data kept for accounting, anonymised on erasure)
-- =============================================================================================

create table public.orders (
    id uuid primary key default gen_random_uuid(),
    organization_id uuid not null references public.organizations (id) on delete cascade,
    customer_id uuid references auth.users (id) on delete set null,
    customer_email text,
    customer_name text,
    shipping_address jsonb,
    status text not null default 'pending'
    check (status in ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    total_amount bigint not null default 0 check (total_amount >= 0),
    currency text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
    placed_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.orders is
'Orders placed with a brand. Members with orders.read see their organisation''s. Amounts in '
'minor units. Customer fields are anonymised by erase_account(); customers get theirs in export_my_data().';

create index orders_organization_id_idx on public.orders (organization_id, placed_at desc);
create index orders_customer_id_idx on public.orders (customer_id);

alter table public.orders enable row level security;
revoke all on public.orders from anon, authenticated;
grant select on public.orders to authenticated;
grant all on public.orders to service_role;

-- =============================================================================================
-- invoices (what Luneo bills a brand)
-- =============================================================================================

create table public.invoices (
    id uuid primary key default gen_random_uuid(),
    -- kept when the organisation is deleted: Luneo's accounting outlives its customers
    organization_id uuid references public.organizations (id) on delete set null,
    number text not null unique,
    status text not null default 'open' check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
    amount_due bigint not null check (amount_due >= 0),
    currency text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
    billing_user_id uuid references auth.users (id) on delete set null,
    billing_name text,
    billing_email text,
    billing_address jsonb,
    stripe_invoice_id text unique,
    issued_at timestamptz not null default now(),
    created_at timestamptz not null default now()
);

comment on table public.invoices is
'Invoices Luneo issued to an organisation, written by billing (service role). Readable with '
'billing.read (aal2 when the organisation requires MFA). Kept on erasure (contact anonymised) '
'and when the organisation is deleted (organization_id set null, then only the service role sees them).';

create index invoices_organization_id_idx on public.invoices (organization_id, issued_at desc);
create index invoices_billing_user_id_idx on public.invoices (billing_user_id);

alter table public.invoices enable row level security;
revoke all on public.invoices from anon, authenticated;
grant select on public.invoices to authenticated;
grant all on public.invoices to service_role;
