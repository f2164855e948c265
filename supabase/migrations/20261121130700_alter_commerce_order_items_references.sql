-- alter commerce order items references
--
-- Purpose: an order item's design is one of the order's organisation's designs (the foreign key
--          the orders migration left for later); deleting a design keeps the item, without it.
--          place_order() checked only that design_id was a uuid, so items may name designs that do
--          not exist or belong to another brand: those references point at nothing the brand can
--          read and are cleared (a notice gives their count). The constraint is added `not valid`
--          (new writes are checked at once) and validated by the next migration, which takes no
--          lock that blocks writes.
--          An item's organisation is its order's (order_items_order_id_organization_id_fkey): the
--          items' read policy trusts organization_id, and a service-role write could otherwise put
--          an item of one brand in another brand's order. Added `not valid`, validated next.
--          Also: orders.idempotency_fingerprint, the digest of what a keyed place_order() call
--          asked for, so a key reused for another basket is refused (LU108) instead of returning
--          an order the client did not ask for.
-- Touches: constraints order_items_design_id_fkey, order_items_order_id_organization_id_fkey;
--          column public.orders.idempotency_fingerprint.
-- Destructive: yes: clears order_items.design_id where it names no design of the order's organisation.

do $$
declare
    cleared bigint;
begin
    update public.order_items as i set design_id = null
    where
        i.design_id is not null
        and not exists (
            select from public.designs as d
            where d.organization_id = i.organization_id and d.id = i.design_id
        );
    get diagnostics cleared = row_count;
    if cleared > 0 then
        raise notice 'order_items: % design_id(s) named no design of their organisation and were cleared', cleared;
    end if;
end;
$$;

alter table public.order_items
add constraint order_items_design_id_fkey foreign key (organization_id, design_id)
references public.designs (organization_id, id) on delete set null (design_id) not valid;

alter table public.order_items
add constraint order_items_order_id_organization_id_fkey foreign key (order_id, organization_id)
references public.orders (id, organization_id) on delete cascade not valid;

alter table public.orders add column idempotency_fingerprint bytea;

comment on column public.orders.idempotency_fingerprint is
'SHA-256 of what the keyed place_order() call asked for (items, address, currency, customer, code): '
'a retry must ask for the same, or is refused with LU108. Null for orders placed without a key.';
