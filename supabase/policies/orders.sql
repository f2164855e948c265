-- Policies on public.orders. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "members can read their organisation's orders and customers their own"
on public.orders for select to authenticated
using (
    organization_id = any((select private.organizations_with('orders.read'))::uuid[])
    or customer_id = (select auth.uid())
);
