-- Policies on public.order_items. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Written by place_order() only; readable with their order: orders.read members, and the customer.

create policy "members and customers can read order items"
on public.order_items for select to authenticated
using (
    organization_id = any((select private.organizations_with('orders.read'))::uuid[])
    or order_id in (
        select o.id from public.orders as o
        where o.customer_id = (select auth.uid())
    )
);
