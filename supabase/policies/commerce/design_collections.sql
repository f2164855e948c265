-- Policies on public.design_collections.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "members can read their organisation's design collections"
on public.design_collections for select to authenticated
using (organization_id = any((select private.organizations_with('organization.read'))::uuid[]));

create policy "designers can create design collections"
on public.design_collections for insert to authenticated
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can edit design collections"
on public.design_collections for update to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]))
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can delete design collections"
on public.design_collections for delete to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));
