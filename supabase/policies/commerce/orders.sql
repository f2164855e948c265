-- Policies on public.orders. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- two policies, each on its own indexed column: a brand's listing (organization_id = ..., newest
-- first) walks orders_organization_id_idx, a customer's (customer_id = auth.uid()) walks
-- orders_customer_id_idx; the other policy is only a filter on the rows that index returns
create policy "members can read their organisation's orders"
on public.orders for select to authenticated
using (organization_id = any((select private.organizations_with('orders.read'))::uuid[]));

create policy "customers can read their own orders"
on public.orders for select to authenticated
using (customer_id = (select auth.uid()));

-- the status only (column grant); the state machine (_200_guard_status) decides which changes are allowed
create policy "order managers can change an order's status"
on public.orders for update to authenticated
using (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]));
