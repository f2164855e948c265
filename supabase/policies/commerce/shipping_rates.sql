-- Policies on public.shipping_rates. Declarative: `luneo db apply` drops every policy on the table,
-- then runs this file.
-- Grants (in the migrations) already refuse the operations not listed here.

create policy "everyone can read shipping rates"
on public.shipping_rates for select to anon, authenticated
using (true);

create policy "product managers can create shipping rates"
on public.shipping_rates for insert to authenticated
with check (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));

create policy "product managers can edit shipping rates"
on public.shipping_rates for update to authenticated
using (organization_id = any((select private.organizations_with('products.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));

create policy "product managers can delete shipping rates"
on public.shipping_rates for delete to authenticated
using (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));
