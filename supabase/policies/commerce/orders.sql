-- Policies on public.orders. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- Members with orders.read see their organisation's orders, customers their own. Each side tests
-- one indexed column, so a listing filtered on organization_id walks orders_organization_id_idx
-- (organization_id, placed_at desc) and one filtered on customer_id walks orders_customer_id_idx
-- (customer_id, placed_at desc), the other side only filtering the rows the index returns
-- (tests/integration/commerce/test_orders_plans.py). A listing with no filter at all combines
-- both indexes (a bitmap scan): the frontend always filters (docs/api/commerce.md#orders).
create policy "members and customers can read orders"
on public.orders for select to authenticated
using (
    organization_id = any((select private.organizations_with('orders.read'))::uuid[])
    or customer_id = (select auth.uid())
);

-- the status only (column grant); the state machine (_200_guard_status) decides which changes are allowed
create policy "order managers can change an order's status"
on public.orders for update to authenticated
using (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]));
