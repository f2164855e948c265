-- Policies on public.cliparts.
-- Declarative: `luneo db apply` drops every policy on the table, then runs this file.
-- Grants (in the migrations) already refuse anon and the operations not listed here.

-- Read like templates: published ones by every signed-in user, all by members.
create policy "signed in users can read published cliparts and members all of their organisation's"
on public.cliparts for select to authenticated
using (
    is_published
    or organization_id = any((select private.organizations_with('organization.read'))::uuid[])
);

create policy "designers can create cliparts"
on public.cliparts for insert to authenticated
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can edit cliparts"
on public.cliparts for update to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]))
with check (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));

create policy "designers can delete cliparts"
on public.cliparts for delete to authenticated
using (organization_id = any((select private.organizations_with('designs.write'))::uuid[]));
