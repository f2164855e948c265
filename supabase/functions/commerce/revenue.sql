-- Revenue: the ledger public.revenue_tracking (migration
-- 20261121130400_create_commerce_revenue_tracking.sql), fed by the orders' status changes.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

create or replace function private.tg_record_order_revenue()
returns trigger
language plpgsql
-- definer: the ledger is written by this trigger (and adjustments by the service role) only
security definer
set search_path = ''
as $$
declare
    paid constant text[] := array['paid', 'processing', 'shipped', 'delivered'];
    was_paid boolean := tg_op = 'UPDATE' and old.status = any(paid);
begin
    if new.total_amount = 0 then
        return null;  -- nothing changed hands
    end if;
    -- into a paid status (from pending, or written paid, or refunded, by the service role)
    if (new.status = any(paid) or (tg_op = 'INSERT' and new.status = 'refunded')) and not was_paid then
        insert into public.revenue_tracking (organization_id, order_id, kind, amount, currency)
        values (new.organization_id, new.id, 'payment', new.total_amount, new.currency)
        on conflict (order_id, kind) where kind in ('payment', 'refund') do nothing;
    end if;
    -- out of it: refunded, or cancelled once paid
    if (was_paid and new.status in ('refunded', 'cancelled')) or (tg_op = 'INSERT' and new.status = 'refunded') then
        insert into public.revenue_tracking (organization_id, order_id, kind, amount, currency)
        values (new.organization_id, new.id, 'refund', -new.total_amount, new.currency)
        on conflict (order_id, kind) where kind in ('payment', 'refund') do nothing;
    end if;
    return null;
end;
$$;

comment on function private.tg_record_order_revenue() is
'Trigger _100_record_revenue on orders: a payment (+total) when an order is paid, a refund (-total) '
'when it is refunded or cancelled once paid; one of each per order.';

revoke execute on function private.tg_record_order_revenue() from public, anon, authenticated;

-- == triggers on public.orders ===================================================================

create or replace trigger _100_record_revenue after insert or update of status on public.orders
for each row execute function private.tg_record_order_revenue();
