-- Policies on public.discount_codes. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file. Customers never list codes: place_order() looks the one they type up.

create policy "order managers can read discount codes"
on public.discount_codes for select to authenticated
using (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]));

create policy "order managers can create discount codes"
on public.discount_codes for insert to authenticated
with check (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]));

create policy "order managers can edit discount codes"
on public.discount_codes for update to authenticated
using (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]));

create policy "order managers can delete discount codes"
on public.discount_codes for delete to authenticated
using (organization_id = any((select private.organizations_with('orders.manage'))::uuid[]));
