-- Policies on public.products. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse the operations not listed here.

create policy "everyone can read active products"
on public.products for select to anon, authenticated
using (status = 'active');

create policy "members can read their organisation's products"
on public.products for select to authenticated
using (organization_id = any((select private.organizations_with('organization.read'))::uuid[]));

create policy "product managers can create products"
on public.products for insert to authenticated
with check (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));

create policy "product managers can edit products"
on public.products for update to authenticated
using (organization_id = any((select private.organizations_with('products.manage'))::uuid[]))
with check (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));

create policy "product managers can delete products"
on public.products for delete to authenticated
using (organization_id = any((select private.organizations_with('products.manage'))::uuid[]));
