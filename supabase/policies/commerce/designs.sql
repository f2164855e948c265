-- Policies on public.designs.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

create policy "members can read their organisation's designs"
on public.designs for select to authenticated
using (organization_id = any((select private.organizations_with('organization.read'))::uuid[]));

create policy "designers can create designs"
on public.designs for insert to authenticated
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can edit designs"
on public.designs for update to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]))
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can delete designs"
on public.designs for delete to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));
