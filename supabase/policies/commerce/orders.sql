-- Policies on public.orders. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- customers reach their own orders through export_my_data() (and the storefront RPCs of the
-- orders work); an `or customer_id = ...` here would turn every listing into a bitmap scan
create policy "members can read their organisation's orders"
on public.orders for select to authenticated
using (organization_id = any((select private.organizations_with('orders.read'))::uuid[]));
