-- Policies on public.products. Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse the operations not listed here.

-- one select policy per role (the advisor's multiple_permissive_policies): the storefront for
-- anon; the storefront or their organisation's whole catalogue for members
create policy "anon can read active products"
on public.products for select to anon
using (status = 'active');

create policy "signed in users read active products and members their organisation's"
on public.products for select to authenticated
using (
    status = 'active'
    or organization_id = any((select private.organizations_with('organization.read'))::uuid[])
);

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
