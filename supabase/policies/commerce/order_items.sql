-- Policies on public.order_items. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Written by place_order() only; readable with their order.

create policy "members can read their organisation's order items"
on public.order_items for select to authenticated
using (organization_id = any((select private.organizations_with('orders.read'))::uuid[]));

create policy "customers can read the items of their own orders"
on public.order_items for select to authenticated
using (order_id in (select o.id from public.orders as o where o.customer_id = (select auth.uid())));
