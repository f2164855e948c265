-- create commerce revenue tracking
--
-- Purpose: a brand's revenue as an append-only ledger, fed by its orders: an order entering a paid
--          status (paid, processing, shipped, delivered) records a payment of its total; an order
--          refunded, or cancelled once paid, records a refund of its total (negative). The
--          service role may add adjustments (a partial refund, a correction). Nobody edits or
--          deletes an entry: corrections are new entries. Readable with orders.read.
--          The orders that were already paid or refunded get their entries here, dated by their
--          status history (else when they were placed).
-- Touches: table public.revenue_tracking (the trigger that writes it is in
--          supabase/functions/commerce/revenue.sql).
-- Destructive: no.

create table public.revenue_tracking (
    id bigint generated always as identity primary key,
    organization_id uuid not null references public.organizations (id) on delete cascade,
    -- the ledger outlives an order deleted by the service role
    order_id uuid references public.orders (id) on delete set null,
    kind text not null check (kind in ('payment', 'refund', 'adjustment')),
    amount bigint not null check (amount between -10000000000000 and 10000000000000 and amount <> 0),
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    description text constraint revenue_tracking_description_check
    check (private.check_text(description, 'description', 500, 1)),
    recorded_at timestamptz not null default now(),
    check ((kind = 'payment' and amount > 0) or (kind = 'refund' and amount < 0) or kind = 'adjustment'),
    check (kind = 'adjustment' or order_id is not null)
);

comment on table public.revenue_tracking is
'A brand''s revenue ledger in minor units: a payment (+total) when an order is paid, a refund '
'(-total) when it is refunded or cancelled once paid, both written by trigger; adjustments by the '
'service role. Append-only. Readable with orders.read.';
comment on column public.revenue_tracking.amount is 'Minor units; payments positive, refunds negative.';

-- one payment and one refund per order, whatever retries the writers make
create unique index revenue_tracking_order_id_kind_idx on public.revenue_tracking (order_id, kind)
where kind in ('payment', 'refund');
create index revenue_tracking_order_id_idx on public.revenue_tracking (order_id);
create index revenue_tracking_organization_id_idx on public.revenue_tracking (organization_id, recorded_at desc);

alter table public.revenue_tracking enable row level security;
revoke all on public.revenue_tracking from anon, authenticated, service_role;
grant select on public.revenue_tracking to authenticated, service_role;
grant insert (organization_id, order_id, kind, amount, currency, description, recorded_at)
on public.revenue_tracking to service_role;

-- the orders that were paid (now, or before a refund or a cancellation): a payment, dated when they
-- were first paid (else when placed); those refunded or cancelled since: a refund, dated then
insert into public.revenue_tracking (organization_id, order_id, kind, amount, currency, recorded_at)
select
    o.organization_id,
    o.id,
    entry.kind,
    case when entry.kind = 'payment' then o.total_amount else -o.total_amount end as amount,
    o.currency,
    entry.recorded_at
from public.orders as o
cross join
    lateral (
        select
            min(h.changed_at) filter (where h.to_status in ('paid', 'processing', 'shipped', 'delivered')) as paid_at,
            max(h.changed_at) filter (where h.to_status in ('refunded', 'cancelled')) as reversed_at
        from public.order_status_history as h
        where h.order_id = o.id
    ) as history
cross join
    lateral (
        values
        ('payment', coalesce(history.paid_at, o.placed_at)),
        ('refund', coalesce(history.reversed_at, o.updated_at))
    ) as entry (kind, recorded_at)
where
    o.total_amount > 0
    and (o.status in ('paid', 'processing', 'shipped', 'delivered', 'refunded') or history.paid_at is not null)
    and (entry.kind = 'payment' or o.status in ('refunded', 'cancelled'))
order by entry.recorded_at;
